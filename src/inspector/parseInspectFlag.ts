import { InspectorError } from './InspectorError.ts';

/** The port of `--inspect` without a value. */
export const DEFAULT_INSPECTOR_PORT = 7357;

/**
 * Takes `--inspect`, `--inspect PORT` or `--inspect=PORT` out of `args` (node's `parseArgs` has no
 * optional values). `port` is undefined when the flag is absent (inspector off), the default port for a
 * bare `--inspect`, 0 for "any free port". A following argument is taken as the port only when it is all
 * digits. Throws `InspectorError('invalid-port')` for `--inspect=abc` or a port above 65535.
 */
export function parseInspectFlag(args: readonly string[]): { args: string[]; port?: number } {
  const rest: string[] = [];
  let port: number | undefined;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] as string;
    if (arg === '--') {
      rest.push(...args.slice(i));
      break;
    }
    if (arg === '--inspect') {
      const next = args[i + 1];
      if (next !== undefined && /^\d+$/.test(next)) {
        port = toPort(next);
        i++;
      } else {
        port = DEFAULT_INSPECTOR_PORT;
      }
    } else if (arg.startsWith('--inspect=')) {
      port = toPort(arg.slice('--inspect='.length));
    } else {
      rest.push(arg);
    }
  }
  return port === undefined ? { args: rest } : { args: rest, port };
}

function toPort(text: string): number {
  const port = Number(text);
  if (!/^\d+$/.test(text) || port > 65_535) {
    throw new InspectorError(
      'invalid-port',
      `--inspect: "${text}" is not a port (0..65535; 0 = any free port)`,
    );
  }
  return port;
}
