/**
 * The `wasmactor` command: `tools` and `call` work on a component file directly (useful on their own and
 * for scripting); `serve` runs the MCP server; `component` and `secret` manage what it serves. The only
 * module that touches the process's streams: every command writes through the `CommandIo` it is given.
 */
import { readFile } from 'node:fs/promises';
import { type CommandIo, commands, fail, McpError, out } from './mcp/commands/index.ts';
import { RuntimeError } from './runtime/index.ts';

const usage = `wasmactor — WebAssembly components as MCP tools

Usage:
  wasmactor serve [options]                 run the MCP server on stdio (see: wasmactor serve --help)
  wasmactor component load|unload|list      manage the component directory without a server
                                            (see: wasmactor component --help)
  wasmactor secret set|list|delete <component> [KEY=VALUE]...
                                            per-component secrets (see: wasmactor secret --help)
  wasmactor tools <component.wasm>          print the component's tools as JSON
  wasmactor call <component.wasm> <tool> [--args JSON] [--env K=V]... [--dir HOST::GUEST[:ro]]...
                 [--timeout MS]             run one call in a fresh sandbox, print the result as JSON
  wasmactor check <component.wasm> [--runs N] [--seed S] [--tool NAME]... [--deterministic]
                  [--stateful] [--env K=V]... [--dir HOST::GUEST[:ro]]... [--timeout MS] [--json]
                                            property-based test of every exported function
                                            (see: wasmactor check --help)
  wasmactor --help | --version
`;

/** The process's own streams, handed to the commands. */
const io: CommandIo = { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr };

async function version(): Promise<string> {
  const pkg = JSON.parse(await readFile(new URL('../package.json', import.meta.url), 'utf8'));
  return (pkg as { version: string }).version;
}

/** Runs the command line; resolves to the process exit code. */
export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    out(io, usage);
    return name === undefined ? 2 : 0;
  }
  if (name === '--version') {
    out(io, await version());
    return 0;
  }
  const command = commands[name];
  if (!command) {
    io.stderr.write(`wasmactor: unknown command "${name}"\n\n${usage}\n`);
    return 2;
  }
  try {
    return await command(rest, io);
  } catch (error) {
    // A coded error is the user's to fix, and its message says how; anything else is a bug: let it show.
    if (error instanceof RuntimeError) return fail(io, name, `${error.code}: ${error.message}`);
    if (error instanceof McpError) return fail(io, name, error.message);
    throw error;
  }
}
