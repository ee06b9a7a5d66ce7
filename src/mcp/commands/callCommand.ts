/** `wasmactor call <component.wasm> <tool>`: one call in a fresh sandbox, the result as JSON. */
import { resolve } from 'node:path';
import {
  createRuntime,
  defaultTimeoutMs,
  type JsonObject,
  type Preopen,
  RuntimeError,
  type SandboxSpec,
} from '../../runtime/index.ts';
import { parseEnvPair } from '../../runtime/policy/index.ts';
import type { CommandIo } from './CommandIo.ts';
import { fail, out, parseCommand } from './commandArgs.ts';

export const callUsage = `Usage: wasmactor call <component.wasm> <tool> [options]

Runs one call in a fresh sandbox that has only what the flags give, prints the result as JSON on stdout
({"result": ...} or, for a WIT err, {"error": ...} with exit code 1). Faults go to stderr, exit code 2.

Options:
  --args JSON          the arguments as a JSON object (default {})
  --env K=V            give the guest an environment variable (repeatable)
  --dir HOST::GUEST    give the guest a directory; append :ro for read-only (repeatable)
  --timeout MS         time limit of the call (default 30000)
  --log-level LEVEL    debug | info | warn | error | silent (default warn)
`;

const OPTIONS = {
  args: { type: 'string', default: '{}' },
  env: { type: 'string', multiple: true, default: [] as string[] },
  dir: { type: 'string', multiple: true, default: [] as string[] },
  timeout: { type: 'string', default: String(defaultTimeoutMs) },
  'log-level': { type: 'string', default: 'warn' },
} as const;

/** Parses `HOST::GUEST[:ro]`. */
export function parseDirFlag(flag: string): Preopen {
  const match = /^(.+)::(\/[^:]*)(:ro|:rw)?$/.exec(flag);
  if (!match) {
    throw new RuntimeError(
      'invalid-argument',
      `--dir "${flag}" is not HOST::GUEST[:ro] (for example --dir ./data::/data:ro; GUEST must be absolute)`,
    );
  }
  return {
    hostPath: resolve(match[1] as string),
    guestPath: match[2] as string,
    readOnly: match[3] === ':ro',
  };
}

/** `--args` as an object; a string with the problem when it is not one. */
function parseCallArgs(text: string): JsonObject | string {
  try {
    const parsed: unknown = JSON.parse(text);
    if (parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed)) return parsed as JsonObject;
    return `--args must be a JSON object, like '{"n": 3}' (not an object)`;
  } catch (error) {
    return `--args must be a JSON object, like '{"n": 3}' (${(error as Error).message})`;
  }
}

/** Runs `wasmactor call ...`; resolves to the exit code. */
export async function callCommand(args: string[], io: CommandIo): Promise<number> {
  const parsed = parseCommand({ name: 'call', usage: callUsage, options: OPTIONS }, args, io);
  if (typeof parsed === 'number') return parsed;
  const { values, positionals } = parsed;
  const [path, tool, ...extra] = positionals;
  if (path === undefined || tool === undefined || extra.length > 0) {
    return fail(io, 'call', `call takes a component path and a tool name\n\n${callUsage}`);
  }
  const callArgs = parseCallArgs(values.args);
  if (typeof callArgs === 'string') return fail(io, 'call', callArgs);
  const timeoutMs = Number(values.timeout);
  if (!Number.isInteger(timeoutMs) || timeoutMs <= 0) {
    return fail(io, 'call', '--timeout must be a positive integer (ms)');
  }
  const sandbox: SandboxSpec = {
    env: Object.fromEntries(values.env.map((pair) => parseEnvPair(pair, '--env'))),
    preopens: values.dir.map(parseDirFlag),
  };
  const component = await createRuntime().prepare({ path: resolve(path) });
  try {
    const outcome = await component.callOnce(tool, callArgs, sandbox, { timeoutMs });
    if (outcome.output.stderr) io.stderr.write(outcome.output.stderr);
    const { stdout } = outcome.output;
    out(
      io,
      JSON.stringify(outcome.ok ? { result: outcome.value, stdout } : { error: outcome.error, stdout }),
    );
    return outcome.ok ? 0 : 1;
  } finally {
    await component.dispose();
  }
}
