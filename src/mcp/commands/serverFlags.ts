/** Flags that `serve` and `component sync` read alike: sizes, and which storage grants are too broad. */
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
