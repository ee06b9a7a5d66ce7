import { prepareComponent } from './prepare/index.ts';
import type { ComponentRuntime, PrepareOptions } from './types.ts';

/** Creates the runtime; `cacheDir` is where transpiled components are cached. */
export function createRuntime(options: { cacheDir?: string } = {}): ComponentRuntime {
  return {
    prepare: (source, prepareOptions: PrepareOptions = {}) =>
      prepareComponent(source, { cacheDir: options.cacheDir, ...prepareOptions }),
  };
}
