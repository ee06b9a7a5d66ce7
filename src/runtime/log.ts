/**
 * The one logger of wasmactor: structured lines on stderr, because stdout belongs to the MCP protocol.
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

function write(level: Exclude<LogLevel, 'silent'>, message: string, fields?: Record<string, unknown>): void {
  if (order[level] < threshold) return;
  const line = { time: new Date().toISOString(), level, msg: message, ...fields };
  process.stderr.write(`${JSON.stringify(line, (_k, v) => (typeof v === 'bigint' ? v.toString() : v))}\n`);
}

/** Writes one JSON line per entry to stderr. */
export const log = {
  debug: (message: string, fields?: Record<string, unknown>) => write('debug', message, fields),
  info: (message: string, fields?: Record<string, unknown>) => write('info', message, fields),
  warn: (message: string, fields?: Record<string, unknown>) => write('warn', message, fields),
  error: (message: string, fields?: Record<string, unknown>) => write('error', message, fields),
};
