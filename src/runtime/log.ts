/**
 * The one logger of wasmactor: lines on stderr, because stdout belongs to the MCP protocol. Piped (what
 * MCP clients and log collectors see) each entry is one JSON line; on a terminal it is a readable line
 * (`12:00:01 info  example loaded id=notes tools=add,all`). WASMACTOR_LOG_FORMAT=json|text overrides.
 */

export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';

const order: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 };

let threshold: number =
  order[(process.env.WASMACTOR_LOG_LEVEL as LogLevel | undefined) ?? 'info'] ?? order.info;

/** The levels, lowest first. */
export const logLevels = Object.keys(order) as LogLevel[];

/** True when `value` names a level. */
export function isLogLevel(value: string): value is LogLevel {
  return Object.hasOwn(order, value);
}

/** Sets the lowest level that is written. */
export function setLogLevel(level: LogLevel): void {
  threshold = order[level];
}

/** One log entry as written. */
export interface LogEntry {
  time: string;
  level: Exclude<LogLevel, 'silent'>;
  msg: string;
  [field: string]: unknown;
}

const json = (value: unknown) => JSON.stringify(value, (_k, v) => (typeof v === 'bigint' ? v.toString() : v));

/** A field's value on a readable line: plain when it is a simple word, else JSON. */
function readableValue(value: unknown): string {
  if (
    Array.isArray(value) &&
    value.length > 0 &&
    value.every((v) => typeof v === 'string' && /^[^\s,"]+$/.test(v))
  ) {
    return value.join(',');
  }
  if (typeof value === 'string' && /^[^\s"=]+$/.test(value)) return value;
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint')
    return String(value);
  return json(value) ?? String(value);
}

/** The line for `entry`: JSON (`readable` false) or a line for a person at a terminal. No newline. */
export function formatLogLine(entry: LogEntry, readable: boolean): string {
  if (!readable) return json(entry);
  const { time, level, msg, ...fields } = entry;
  const clock = time.slice(11, 19);
  const rest = Object.entries(fields)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => ` ${k}=${readableValue(v)}`)
    .join('');
  return `${clock} ${level.padEnd(5)} ${msg}${rest}`;
}

/** True when log lines should be readable: WASMACTOR_LOG_FORMAT, else whether `stream` is a terminal. */
export function readableLogs(
  stream: { isTTY?: boolean } = process.stderr,
  format = process.env.WASMACTOR_LOG_FORMAT,
): boolean {
  if (format === 'json') return false;
  if (format === 'text') return true;
  return stream.isTTY === true;
}

const readable = readableLogs();

function write(level: Exclude<LogLevel, 'silent'>, message: string, fields?: Record<string, unknown>): void {
  if (order[level] < threshold) return;
  const entry: LogEntry = { time: new Date().toISOString(), level, msg: message, ...fields };
  process.stderr.write(`${formatLogLine(entry, readable)}\n`);
}

/** Writes one line per entry to stderr (JSON when piped, readable on a terminal). */
export const log = {
  debug: (message: string, fields?: Record<string, unknown>) => write('debug', message, fields),
  info: (message: string, fields?: Record<string, unknown>) => write('info', message, fields),
  warn: (message: string, fields?: Record<string, unknown>) => write('warn', message, fields),
  error: (message: string, fields?: Record<string, unknown>) => write('error', message, fields),
};
