/**
 * Component sources: files, `https://` downloads and OCI pulls (pull, push, list), with the download
 * cache. The loader (`server/componentLoader.ts`) and the manifest use `parseSourceReference` +
 * `fetchComponentSource`; the rest of the MCP layer imports the registry client from here too.
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
  DEFAULT_DOWNLOAD_TIMEOUT_MS,
  type FetchedComponent,
  type FetchSourceOptions,
  fetchComponentSource,
} from './fetchComponentSource.ts';
export * from './oci/index.ts';
export {
  canonicalSource,
  normalizeSha256,
  parseSourceReference,
  type SourceArgument,
  type SourceReference,
} from './sourceReference.ts';
