/** From a source to a runnable component: read, decode, transpile (cached), cap memory, compile. */
export { type LoadLimiter, loadLimiter } from './loadLimiter.ts';
export { capMemory, memoryLimits } from './memoryLimit.ts';
export {
  defaultMaxMemory,
  defaultTimeoutMs,
  prepareComponent,
  type ReadOptions,
  readComponentSource,
  readComponentTypes,
} from './prepareComponent.ts';
export {
  type BoundedRead,
  defaultMaxComponentSize,
  fileKind,
  readBoundedFile,
  readComponentFile,
} from './readBoundedFile.ts';
export { TransientSource, transient } from './transientSource.ts';
export { defaultCacheDir, sha256 } from './transpileCache.ts';
export { jcoVersion } from './transpileCacheSweep.ts';
