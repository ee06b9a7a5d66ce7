/**
 * The `wasmactor` command: `tools` and `call` work on a component file directly (useful on their own and
 * for scripting); `serve` runs the MCP server. The only module that writes to stdout.
 */
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import {
  createRuntime,
  defaultTimeoutMs,
  isLogLevel,
  type JsonObject,
  logLevels,
  type Preopen,
  RuntimeError,
  readComponentTypes,
  type SandboxSpec,
  setLogLevel,
  toolDefinitions,
} from './runtime/index.ts';
import { parseEnvPair } from './runtime/policy/index.ts';

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
  wasmactor --help | --version
`;

const callUsage = `Usage: wasmactor call <component.wasm> <tool> [options]

Runs one call in a fresh sandbox that has only what the flags give, prints the result as JSON on stdout
({"result": ...} or, for a WIT err, {"error": ...} with exit code 1). Faults go to stderr, exit code 2.

Options:
  --args JSON          the arguments as a JSON object (default {})
  --env K=V            give the guest an environment variable (repeatable)
  --dir HOST::GUEST    give the guest a directory; append :ro for read-only (repeatable)
  --timeout MS         time limit of the call (default 30000)
  --log-level LEVEL    debug | info | warn | error | silent (default warn)
`;

const toolsUsage = `Usage: wasmactor tools <component.wasm>

Prints the tools the component exports as a JSON array of {name, description, inputSchema, outputSchema}.
`;

/** Writes one line to stdout (the CLI's result channel). */
function out(text: string): void {
  process.stdout.write(`${text}\n`);
}

function fail(message: string, code = 2): number {
  process.stderr.write(`wasmactor: ${message}\n`);
  return code;
}

type Command = (args: string[]) => Promise<number>;

/** The process's own streams, handed to the commands (only this module touches them). */
const io = { stdin: process.stdin, stdout: process.stdout };

const commands: Record<string, Command> = {
  tools: toolsCommand,
  call: callCommand,
  serve: async (args) => (await import('./mcp/index.ts')).serveCommand(args, io),
  component: async (args) => (await import('./mcp/index.ts')).componentCommand(args, io),
  secret: async (args) => (await import('./mcp/index.ts')).secretCommand(args, io),
};

/** Runs the command line; resolves to the process exit code. */
export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    out(usage);
    return name === undefined ? 2 : 0;
  }
  if (name === '--version') {
    const pkg = JSON.parse(await readFile(new URL('../package.json', import.meta.url), 'utf8')) as {
      version: string;
    };
    out(pkg.version);
    return 0;
  }
  const command = commands[name];
  if (!command) return fail(`unknown command "${name}"\n\n${usage}`);
  try {
    return await command(rest);
  } catch (error) {
    if (error instanceof RuntimeError) return fail(`${error.code}: ${error.message}`);
    if (error instanceof TypeError && (error as NodeJS.ErrnoException).code?.startsWith('ERR_PARSE_ARGS')) {
      return fail(`${error.message} (see: wasmactor ${name} --help)`);
    }
    throw error;
  }
}

async function toolsCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { help: { type: 'boolean', short: 'h' }, 'log-level': { type: 'string', default: 'warn' } },
  });
  if (values.help) {
    out(toolsUsage);
    return 0;
  }
  if (positionals.length !== 1) return fail(`tools takes exactly one component path\n\n${toolsUsage}`);
  const level = values['log-level'];
  if (!isLogLevel(level)) return fail(`--log-level must be one of ${logLevels.join(', ')}`);
  setLogLevel(level);
  const { types } = await readComponentTypes({ path: resolve(positionals[0] as string) });
  const tools = toolDefinitions(types).map(({ name, description, inputSchema, outputSchema }) => ({
    name,
    description,
    inputSchema,
    outputSchema,
  }));
  out(JSON.stringify(tools, null, 2));
  return 0;
}

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

async function callCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      help: { type: 'boolean', short: 'h' },
      args: { type: 'string', default: '{}' },
      env: { type: 'string', multiple: true, default: [] },
      dir: { type: 'string', multiple: true, default: [] },
      timeout: { type: 'string', default: String(defaultTimeoutMs) },
      'log-level': { type: 'string', default: 'warn' },
    },
  });
  if (values.help) {
    out(callUsage);
    return 0;
  }
  if (positionals.length !== 2) return fail(`call takes a component path and a tool name\n\n${callUsage}`);
  const level = values['log-level'];
  if (!isLogLevel(level)) return fail(`--log-level must be one of ${logLevels.join(', ')}`);
  setLogLevel(level);
  const [path, tool] = positionals as [string, string];
  let callArgs: JsonObject;
  try {
    const parsed: unknown = JSON.parse(values.args);
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed))
      throw new Error('not an object');
    callArgs = parsed as JsonObject;
  } catch (error) {
    return fail(`--args must be a JSON object, like '{"n": 3}' (${(error as Error).message})`);
  }
  const timeoutMs = Number(values.timeout);
  if (!Number.isInteger(timeoutMs) || timeoutMs <= 0)
    return fail('--timeout must be a positive integer (ms)');
  const sandbox: SandboxSpec = {
    env: Object.fromEntries(values.env.map((pair) => parseEnvPair(pair, '--env'))),
    preopens: values.dir.map(parseDirFlag),
  };
  const component = await createRuntime().prepare({ path: resolve(path) });
  try {
    const outcome = await component.callOnce(tool, callArgs, sandbox, { timeoutMs });
    if (outcome.output.stderr) process.stderr.write(outcome.output.stderr);
    if (outcome.ok) {
      out(JSON.stringify({ result: outcome.value, stdout: outcome.output.stdout }));
      return 0;
    }
    out(JSON.stringify({ error: outcome.error, stdout: outcome.output.stdout }));
    return 1;
  } finally {
    await component.dispose();
  }
}
