/**
 * The `--http [HOST:]PORT` address, whether a host is loopback, and the `--session-idle` duration.
 */
import { isIP } from 'node:net';

/** Where the HTTP server listens. */
export interface HttpAddress {
  host: string;
  /** 0 = any free port. */
  port: number;
}

/** The host `--http PORT` binds when none is given. */
export const DEFAULT_HTTP_HOST = '127.0.0.1';

const HOSTNAME = /^[A-Za-z0-9]([A-Za-z0-9.-]{0,251}[A-Za-z0-9])?$/;

/** `[HOST:]PORT` (IPv6 in brackets: `[::1]:8080`) as an address, or the problem as a sentence. */
export function parseHttpAddress(text: string): HttpAddress | string {
  const usage = `--http takes [HOST:]PORT (e.g. 8080, 127.0.0.1:8080, [::1]:8080; port 0 = any free port), not "${text}"`;
  let host = DEFAULT_HTTP_HOST;
  let portText = text;
  const bracketed = /^\[([^\]]+)\]:(.*)$/.exec(text);
  if (bracketed) {
    host = bracketed[1] as string;
    portText = bracketed[2] as string;
    if (isIP(host) !== 6) return usage;
  } else if (text.includes(':')) {
    const at = text.lastIndexOf(':');
    host = text.slice(0, at);
    portText = text.slice(at + 1);
    if (isIP(host) === 0 && !HOSTNAME.test(host)) return usage;
  }
  if (!/^\d{1,5}$/.test(portText)) return usage;
  const port = Number(portText);
  if (port > 65535) return `${usage}: the port is at most 65535`;
  return { host, port };
}

/** Whether `host` only ever reaches this machine (127.0.0.0/8, ::1, localhost). */
export function isLoopbackHost(host: string): boolean {
  const bare = host.replace(/^\[|\]$/g, '').toLowerCase();
  if (bare === 'localhost' || bare === '::1' || bare === '0:0:0:0:0:0:0:1') return true;
  if (isIP(bare) === 4) return bare.startsWith('127.');
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(bare);
  return mapped !== null && (mapped[1] as string).startsWith('127.');
}

/** The hostname as a `Host` header names it (IPv6 in brackets). */
export function hostHeaderName(host: string): string {
  return isIP(host) === 6 ? `[${host}]` : host.toLowerCase();
}

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** `90s`, `30m`, `2h`, `500ms` or plain milliseconds, as milliseconds (> 0); otherwise the problem. */
export function parseDuration(flag: string, text: string): number | string {
  const match = /^(\d+)(ms|s|m|h)?$/.exec(text.trim());
  const value = match ? Number(match[1]) * (UNITS[match[2] ?? 'ms'] as number) : Number.NaN;
  if (!Number.isSafeInteger(value) || value <= 0) {
    return `${flag} takes a positive duration such as 500ms, 90s, 30m or 2h (a bare number is ms), not "${text}"`;
  }
  return value;
}
