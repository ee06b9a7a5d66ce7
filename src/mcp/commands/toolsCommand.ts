/** `wasmactor tools <component.wasm>`: the tools a component exports, as JSON. */
import { resolve } from 'node:path';
import { readComponentTypes, toolDefinitions } from '../../runtime/index.ts';
import type { CommandIo } from './CommandIo.ts';
import { fail, out, parseCommand } from './commandArgs.ts';

export const toolsUsage = `Usage: wasmactor tools <component.wasm>

Prints the tools the component exports as a JSON array of {name, description, inputSchema, outputSchema}.
`;

/** Runs `wasmactor tools ...`; resolves to the exit code. */
export async function toolsCommand(args: string[], io: CommandIo): Promise<number> {
  const parsed = parseCommand(
    { name: 'tools', usage: toolsUsage, options: { 'log-level': { type: 'string', default: 'warn' } } },
    args,
    io,
  );
  if (typeof parsed === 'number') return parsed;
  const [path, ...extra] = parsed.positionals;
  if (path === undefined || extra.length > 0) {
    return fail(io, 'tools', `tools takes exactly one component path\n\n${toolsUsage}`);
  }
  const { types } = await readComponentTypes({ path: resolve(path) });
  const tools = toolDefinitions(types).map(({ name, description, inputSchema, outputSchema }) => ({
    name,
    description,
    inputSchema,
    outputSchema,
  }));
  out(io, JSON.stringify(tools, null, 2));
  return 0;
}
