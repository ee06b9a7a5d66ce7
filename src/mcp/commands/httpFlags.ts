/** The flags of `serve --http`: parsed and checked, and refused without `--http`. */
import { resolve } from 'node:path';
import { parseMemoryQuantity } from '../../runtime/policy/index.ts';
import { type HttpAddress, httpSecurityProblem, parseDuration, parseHttpAddress } from '../http/index.ts';

/** What `serve --http` was asked to do. */
export interface HttpServeFlags {
  address: HttpAddress;
  tokenFile: string | undefined;
  allowedHosts: string[];
  maxSessions: number;
  sessionIdleMs: number;
  maxStreams: number;
  maxBodyBytes: number;
}

type Values = Record<string, string | string[] | boolean | undefined>;

/** The flags that mean something only with `--http`. */
const HTTP_ONLY = [
  'auth-token-file',
  'allow-host',
  'max-sessions',
  'session-idle',
  'max-streams',
  'max-body-size',
];

/** The message refusing an HTTP-only flag given without `--http` (as written in `argv`), if one was. */
export function httpOnlyFlagProblem(
  http: HttpServeFlags | undefined,
  argv: readonly string[],
): string | undefined {
  if (http !== undefined) return undefined;
  const given = HTTP_ONLY.find((flag) => argv.some((a) => a === `--${flag}` || a.startsWith(`--${flag}=`)));
  return given === undefined ? undefined : `--${given} only applies with --http [HOST:]PORT`;
}

function positiveInteger(values: Values, flag: string): number | string {
  const n = Number(values[flag]);
  return Number.isSafeInteger(n) && n > 0 ? n : `--${flag} must be a positive integer, not "${values[flag]}"`;
}

/** The `--http` flags, or the problem; undefined without `--http`. */
export function parseHttpFlags(values: Values): HttpServeFlags | string | undefined {
  if (values.http === undefined) return undefined;
  const address = parseHttpAddress(values.http as string);
  if (typeof address === 'string') return address;
  const tokenFile = values['auth-token-file'] as string | undefined;
  const refused = httpSecurityProblem(address, tokenFile !== undefined);
  if (refused) return refused;
  const maxSessions = positiveInteger(values, 'max-sessions');
  if (typeof maxSessions === 'string') return maxSessions;
  const maxStreams = positiveInteger(values, 'max-streams');
  if (typeof maxStreams === 'string') return maxStreams;
  const sessionIdleMs = parseDuration('--session-idle', values['session-idle'] as string);
  if (typeof sessionIdleMs === 'string') return sessionIdleMs;
  const bodyText = values['max-body-size'] as string;
  const body = parseMemoryQuantity(bodyText);
  if (!body.ok) {
    return `--max-body-size takes a number of bytes or a quantity such as 4Mi or 16Mi: ${JSON.stringify(bodyText)} is not one (${body.problem})`;
  }
  return {
    address,
    tokenFile: tokenFile === undefined ? undefined : resolve(tokenFile),
    allowedHosts: values['allow-host'] as string[],
    maxSessions,
    sessionIdleMs,
    maxStreams,
    maxBodyBytes: body.value,
  };
}
