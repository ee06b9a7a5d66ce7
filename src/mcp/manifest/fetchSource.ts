/**
 * The bytes of a manifest entry, through the loader's sources (`fetchComponentSource`): a file read, an
 * `https://` download or an OCI pull, within the size and time limits, the digest pin checked, and
 * downloads kept in the download cache.
 */
import { type BlobCache, DEFAULT_DOWNLOAD_TIMEOUT_MS, fetchComponentSource } from '../sources/index.ts';
import type { ManifestEntry } from './types.ts';

/** Reads an entry's source: its bytes and, for a remote source, the reference that names exactly them. */
export type SourceFetcher = (
  entry: ManifestEntry,
  options: { maxComponentSize: number },
) => Promise<{ bytes: Uint8Array; pinned?: string | undefined }>;

/** A fetcher with the download time limit and cache of a server (or of `component sync`). */
export function sourceFetcher(
  options: { timeoutMs?: number; cache?: BlobCache | undefined } = {},
): SourceFetcher {
  return async (entry, { maxComponentSize }) => {
    const fetched = await fetchComponentSource(entry.source, {
      maxBytes: maxComponentSize,
      timeoutMs: options.timeoutMs ?? DEFAULT_DOWNLOAD_TIMEOUT_MS,
      cache: options.cache,
      sha256: entry.sha256,
    });
    return { bytes: fetched.bytes, pinned: fetched.pinned };
  };
}
