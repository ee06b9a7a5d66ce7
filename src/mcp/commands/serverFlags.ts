/**
 * Flags that `serve` and `component sync` read alike: sizes, and which storage grants are too broad; and
 * `serve --max-instances`.
 */
import { homedir } from 'node:os';
import { defaultCacheDir } from '../../runtime/index.ts';
import { defaultSecretsDir, type GrantGuard, parseMemoryQuantity } from '../../runtime/policy/index.ts';

/** A size flag's value (`268435456`, `256Mi`, `1Gi`), or the message that refuses it. */
export function sizeFlag(flag: string, text: string): number | string {
  const checked = parseMemoryQuantity(text);
  if (checked.ok) return checked.value;
  // The value is the user's own command line: naming it is safe and helps.
  return `${flag} takes a number of bytes or a quantity such as 256Mi or 1Gi: ${JSON.stringify(text)} is not one (${checked.problem})`;
}

/** Grants too broad for this server: the system's, its own directories', the home directory's. */
export function grantGuard(options: { componentDir: string; allowBroadGrants: boolean }): GrantGuard {
  return {
    allowBroadGrants: options.allowBroadGrants,
    serverDirs: [options.componentDir, defaultSecretsDir(), defaultCacheDir()],
    home: homedir(),
  };
}

/**
 * `serve --max-instances N`: its line of `serve --help`, its `parseArgs` option and `parse(text)`, around
 * the host's default (given by `serve`, which loads the machines anyway: `component sync` need not).
 */
export function maxInstancesFlag(defaultMax: number) {
  return {
    usage: `  --max-instances N          per-agent instances (open-instance) a stateful component may have open
                             at once (default ${defaultMax}); one more is refused until one is closed`,
    options: { 'max-instances': { type: 'string', default: String(defaultMax) } } as const,
    /** The limit, or the message that refuses the value. */
    parse(text: string): number | string {
      const n = /^[0-9]+$/.test(text) ? Number(text) : Number.NaN;
      if (Number.isSafeInteger(n) && n > 0) return n;
      return `--max-instances takes a whole number of instances from 1 (default ${defaultMax}): ${JSON.stringify(text)} is not one`;
    },
  };
}
