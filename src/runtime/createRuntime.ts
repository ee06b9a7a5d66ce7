import { prepareComponent } from './prepare/index.ts';
import type { ComponentRuntime, PrepareOptions } from './types.ts';

/**
 * Creates the runtime; `cacheDir` is where transpiled components are cached, `workerIdleMs` how long an
 * idle worker of stateless calls is kept (see `PrepareOptions.workerIdleMs`).
 */
export function createRuntime(options: { cacheDir?: string; workerIdleMs?: number } = {}): ComponentRuntime {
  const defaults: PrepareOptions = {
    ...(options.cacheDir !== undefined ? { cacheDir: options.cacheDir } : {}),
    ...(options.workerIdleMs !== undefined ? { workerIdleMs: options.workerIdleMs } : {}),
  };
  return {
    prepare: (source, prepareOptions: PrepareOptions = {}) =>
      prepareComponent(source, { ...defaults, ...prepareOptions }),
  };
}
