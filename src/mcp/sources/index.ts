/**
 * Component sources: files, `https://` downloads and OCI pulls, with the download cache. The loader
 * (`server/componentLoader.ts`) and the manifest use `parseSourceReference` + `fetchComponentSource`.
 */
export { BlobCache, defaultBlobCacheDir } from './BlobCache.ts';
export {
  type BoundedFetchOptions,
  type BoundedResponse,
  type ByteProgress,
  fetchBounded,
  isLoopbackHost,
} from './fetchBounded.ts';
export {
  type FetchedComponent,
  type FetchSourceOptions,
  fetchComponentSource,
} from './fetchComponentSource.ts';
export {
  canonicalSource,
  normalizeSha256,
  parseSourceReference,
  type SourceArgument,
  type SourceReference,
} from './sourceReference.ts';
