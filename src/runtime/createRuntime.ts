import { availableParallelism } from 'node:os';
import { loadLimiter, prepareComponent } from './prepare/index.ts';
import type { ComponentRuntime, PrepareOptions } from './types.ts';

/** What the runtime is created with. */
export interface RuntimeOptions {
  /** Where transpiled components are cached (default `$XDG_CACHE_HOME/wasmactor`). */
  cacheDir?: string;
  /** How long an idle worker of stateless calls is kept (see `PrepareOptions.workerIdleMs`). */
  workerIdleMs?: number;
  /** Loads preparing at once; the others wait in order (default: the number of cores, at least 2). */
  maxConcurrentLoads?: number;
}

/** Creates the runtime: component preparation with shared defaults, a few loads at a time. */
export function createRuntime(options: RuntimeOptions = {}): ComponentRuntime {
  const defaults: PrepareOptions = {
    ...(options.cacheDir !== undefined ? { cacheDir: options.cacheDir } : {}),
    ...(options.workerIdleMs !== undefined ? { workerIdleMs: options.workerIdleMs } : {}),
  };
  const limiter = loadLimiter(options.maxConcurrentLoads ?? Math.max(2, availableParallelism()));
  return {
    prepare: (source, prepareOptions: PrepareOptions = {}) =>
      limiter.run(() => prepareComponent(source, { ...defaults, ...prepareOptions }), prepareOptions.signal),
  };
}
