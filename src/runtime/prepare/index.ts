/** From a source to a runnable component: read, decode, transpile (cached), cap memory, compile. */
export { capMemory, memoryLimits } from './memoryLimit.ts';
export {
  defaultTimeoutMs,
  prepareComponent,
  readComponentSource,
  readComponentTypes,
} from './prepareComponent.ts';
export { defaultCacheDir, jcoVersion, sha256 } from './transpileCache.ts';
