/**
 * The prologue every command shares: parse the flags (`-h/--help` always), answer `--help`, refuse a
 * bad flag or `--log-level` with a message that points at the help, apply the log level. And its
 * epilogue: how a command that failed says so (`commandFailed`). Commands write only through their
 * `CommandIo`.
 */
import { type ParseArgsConfig, parseArgs } from 'node:util';
import { isLogLevel, logLevels, RuntimeError, setLogLevel } from '../../runtime/index.ts';
import { McpError } from '../McpError.ts';
import type { CommandIo } from './CommandIo.ts';

type Options = NonNullable<ParseArgsConfig['options']>;

const HELP = { help: { type: 'boolean', short: 'h' } } as const;

/** The flags a command takes. */
export interface CommandSpec<T extends Options> {
  /** The command's name, as in `wasmactor serve` (messages start with `wasmactor <name>:`). */
  name: string;
  usage: string;
  /** Its options; `-h/--help` is added. A `log-level` option is checked and applied. */
  options: T;
}

type Parsed<T extends Options> = ReturnType<
  typeof parseArgs<{ args: string[]; options: T & typeof HELP; allowPositionals: true }>
>;

/** Writes `wasmactor <name>: <message>` to stderr; returns the exit code (2: a usage error). */
export function fail(io: CommandIo, name: string, message: string, code = 2): number {
  io.stderr.write(`wasmactor ${name}: ${message}\n`);
  return code;
}

/**
 * The codes of errors that say the command line itself is wrong (an argument that is no JSON for the
 * tool, no such tool, a path argument that cannot be a file or an id): usage errors, exit code 2.
 */
const USAGE_CODES: ReadonlySet<string> = new Set([
  'invalid-argument',
  'unknown-tool',
  'bad-path',
  'invalid-id',
]);

/**
 * How a command that threw says so: a coded error (`RuntimeError`, `McpError`) is the user's to fix and
 * its message says how, as `wasmactor <name>: <message>` on stderr; the exit code is 2 when the command
 * line is wrong (see USAGE_CODES), 1 for every other failure (a missing file, an unreachable registry, a
 * trap). Anything else is a bug: it is thrown again, to show.
 */
export function commandFailed(io: CommandIo, name: string, error: unknown): number {
  if (error instanceof RuntimeError) {
    return fail(io, name, `${error.code}: ${error.message}`, USAGE_CODES.has(error.code) ? 2 : 1);
  }
  if (error instanceof McpError) return fail(io, name, error.message, USAGE_CODES.has(error.code) ? 2 : 1);
  throw error;
}

/**
 * The commands made of actions (`wasmactor component push`), with their flags that take a value (so that
 * a flag's value is not taken for the action). Only names failures: each command parses its own line.
 */
const ACTION_COMMANDS: Record<string, { actions: readonly string[]; valueFlags: readonly string[] }> = {
  component: { actions: ['load', 'unload', 'list', 'push', 'sync'], valueFlags: ['--component-dir'] },
  secret: { actions: ['set', 'list', 'delete'], valueFlags: ['--secrets-dir'] },
};

/**
 * The full name of the command a command line runs, as its failures name it: `component push`,
 * `secret set`, or the command alone (`serve`, or a group whose action is missing or unknown).
 */
export function commandName(command: string, args: string[]): string {
  const group = ACTION_COMMANDS[command];
  if (!group) return command;
  let flags = true;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] as string;
    if (flags && arg === '--') {
      flags = false;
    } else if (flags && arg.startsWith('-') && arg !== '-') {
      if (group.valueFlags.includes(arg)) i++;
    } else {
      return group.actions.includes(arg) ? `${command} ${arg}` : command;
    }
  }
  return command;
}

/** Writes one line to stdout, the command's result channel. */
export function out(io: CommandIo, text: string): void {
  io.stdout.write(`${text}\n`);
}

/**
 * What is wrong with the flags in `args`, in our own words (node's parseArgs messages name its API, not
 * our command), or undefined when parseArgs will accept them.
 */
export function usageProblem(options: Options, args: string[]): string | undefined {
  const { tokens } = parseArgs({ args, options, allowPositionals: true, strict: false, tokens: true });
  for (const token of tokens) {
    if (token.kind !== 'option') continue;
    const option = options[token.name];
    const flag = token.rawName;
    if (!option) return `unknown option ${flag}`;
    if (option.type === 'boolean' && token.value !== undefined) return `${flag} takes no value`;
    if (option.type === 'string' && token.value === undefined) return `${flag} needs a value`;
    if (option.type === 'string' && !token.inlineValue && token.value?.startsWith('-')) {
      // `--call-timeout --examples` is almost always a forgotten value, not a value starting with a dash.
      return `${flag} needs a value (got the flag ${token.value}; write ${flag}=${token.value} if that is the value)`;
    }
  }
  return undefined;
}

/** True when `-h`/`--help` is among the flags: the help answers, whatever else is wrong. */
function wantsHelp(options: Options, args: string[]): boolean {
  const { tokens } = parseArgs({ args, options, allowPositionals: true, strict: false, tokens: true });
  return tokens.some((token) => token.kind === 'option' && token.name === 'help');
}

/**
 * Parses `args` for the command. Returns the flags and positionals, or the exit code when the command
 * is already answered: 0 after printing the help, 2 after a bad flag or log level.
 */
export function parseCommand<T extends Options>(
  spec: CommandSpec<T>,
  args: string[],
  io: CommandIo,
): Parsed<T> | number {
  const options = { ...spec.options, ...HELP };
  if (wantsHelp(options, args)) {
    io.stdout.write(spec.usage);
    return 0;
  }
  const problem = usageProblem(options, args);
  if (problem) return fail(io, spec.name, `${problem} (see: wasmactor ${spec.name} --help)`);
  // Every refusal parseArgs could make was made above, in our words.
  const parsed = parseArgs({ args, allowPositionals: true, options }) as Parsed<T>;
  const values = parsed.values as Record<string, unknown>;
  const level = values['log-level'];
  if (typeof level === 'string') {
    if (!isLogLevel(level)) return fail(io, spec.name, `--log-level must be one of ${logLevels.join(', ')}`);
    setLogLevel(level);
  }
  return parsed;
}
