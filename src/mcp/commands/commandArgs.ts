/**
 * The prologue every command shares: parse the flags (`-h/--help` always), answer `--help`, refuse a
 * bad flag or `--log-level` with a message that points at the help, apply the log level. Commands
 * write only through their `CommandIo`.
 */
import { type ParseArgsConfig, parseArgs } from 'node:util';
import { isLogLevel, logLevels, setLogLevel } from '../../runtime/index.ts';
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

/** Writes one line to stdout, the command's result channel. */
export function out(io: CommandIo, text: string): void {
  io.stdout.write(`${text}\n`);
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
  let parsed: Parsed<T>;
  try {
    parsed = parseArgs({ args, allowPositionals: true, options: { ...spec.options, ...HELP } }) as Parsed<T>;
  } catch (error) {
    if (
      !(error instanceof TypeError) ||
      !(error as NodeJS.ErrnoException).code?.startsWith('ERR_PARSE_ARGS')
    ) {
      throw error;
    }
    return fail(io, spec.name, `${error.message} (see: wasmactor ${spec.name} --help)`);
  }
  const values = parsed.values as Record<string, unknown>;
  if (values.help) {
    io.stdout.write(spec.usage);
    return 0;
  }
  const level = values['log-level'];
  if (typeof level === 'string') {
    if (!isLogLevel(level)) return fail(io, spec.name, `--log-level must be one of ${logLevels.join(', ')}`);
    setLogLevel(level);
  }
  return parsed;
}
