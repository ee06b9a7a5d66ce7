/**
 * The `yaml` package, loaded on its first use (issue 15, start-up): a server that parses no policy,
 * secrets file or manifest (`serve` with no components) never loads it (~30 ms of CPU and ~3 MiB). It is
 * a CommonJS package, so `require` loads it synchronously: `parsePolicy` stays synchronous.
 */
import { createRequire } from 'node:module';
import type * as Yaml from 'yaml';

let loaded: typeof Yaml | undefined;

/** The `yaml` package's exports (the same module as `import 'yaml'` gives). */
export function yaml(): typeof Yaml {
  loaded ??= createRequire(import.meta.url)('yaml') as typeof Yaml;
  return loaded;
}
