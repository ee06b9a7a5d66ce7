/**
 * The bytes of a component from any source: a file read within the size limit, an `https://` download
 * (from the cache when its digest is pinned and cached), or an OCI pull (its wasm layer from the cache
 * when held). A pin (`#sha256=` or the `sha256` option) is checked before anything is cached or returned.
 */
import { checkComponentHeader, RuntimeError, readComponentSource, sha256 } from '../../runtime/index.ts';
import { McpError } from '../McpError.ts';
import type { BlobCache } from './BlobCache.ts';
import { type ByteProgress, fetchBounded } from './fetchBounded.ts';
import { pinnedReference, pullComponent } from './oci/index.ts';
import { canonicalSource, normalizeSha256, type SourceReference } from './sourceReference.ts';

/** Options of `fetchComponentSource`. */
export interface FetchSourceOptions {
  /** Largest component read or downloaded, in bytes (`--max-component-size`). */
  maxBytes: number;
  /** Time limit of one download, redirects included (`--download-timeout`). */
  timeoutMs: number;
  /** Aborted when the client cancels: the download stops and `load-cancelled` is thrown. */
  signal?: AbortSignal | undefined;
  /** Bytes received so far (downloads only). */
  onProgress?: ByteProgress | undefined;
  /** Where downloads are kept by digest; without it nothing is cached. */
  cache?: BlobCache | undefined;
  /** The digest the bytes must have (hex or `sha256:HEX`), besides a `#sha256=` in the URL. */
  sha256?: string | undefined;
  /** `~/.docker/config.json` by default (OCI credentials); tests give another. */
  dockerConfigPath?: string | undefined;
}

/** Default time limit of one download (`--download-timeout`). */
export const DEFAULT_DOWNLOAD_TIMEOUT_MS = 5 * 60 * 1000;

/** A component's bytes and where they came from. */
export interface FetchedComponent {
  bytes: Uint8Array;
  /** sha256 (hex) of `bytes`: what the component directory records and checks on restore. */
  digest: string;
  /** The id the source stands for (file stem, URL file stem, last repository segment). */
  id: string;
  /** The source in canonical form: an absolute path, a URL without fragment, an `oci://` reference. */
  source: string;
  /** The reference that names exactly these bytes: `https://…#sha256=HEX`, `oci://…@sha256:MANIFEST`. */
  pinned?: string;
  /** The local file, for a file source (where a `<name>.policy.yaml` beside it is looked for). */
  path?: string;
  /** True when nothing was downloaded: the bytes came from the download cache. */
  fromCache: boolean;
}

/** The one digest asked for, from the URL fragment and/or the option; both must agree. */
function expectedDigest(reference: SourceReference, option: string | undefined): string | undefined {
  const fromOption = option === undefined ? undefined : normalizeSha256(option);
  if (option !== undefined && fromOption === undefined) {
    throw new McpError(
      'bad-path',
      `sha256 must be 64 hex digits (optionally after "sha256:"), the digest of the .wasm file; "${option}" is not`,
    );
  }
  const fromUrl = reference.kind === 'url' ? reference.sha256 : undefined;
  if (fromUrl !== undefined && fromOption !== undefined && fromUrl !== fromOption) {
    throw new McpError(
      'bad-path',
      `the URL pins sha256 ${fromUrl} but the sha256 argument says ${fromOption}: give one digest`,
    );
  }
  return fromOption ?? fromUrl;
}

/** Refuses bytes that are not the pinned ones; nothing has been cached or stored at this point. */
function checkPin(source: string, digest: string, expected: string | undefined): void {
  if (expected === undefined || digest === expected) return;
  throw new McpError(
    'digest-mismatch',
    `${source} has sha256 ${digest}, but ${expected} was pinned: nothing was loaded or stored. ` +
      'If the component changed on purpose, pin its new digest.',
  );
}

/**
 * Refuses downloaded bytes that are not a component (an HTML error or sign-in page, a core module...);
 * `contentType` is the server's `Content-Type`, when there is one, for the hint about HTML pages.
 */
function checkComponent(source: string, bytes: Uint8Array, contentType?: string | null): void {
  try {
    checkComponentHeader(bytes);
  } catch (error) {
    if (!(error instanceof RuntimeError)) throw error;
    const html = contentType?.toLowerCase().includes('html')
      ? ' The server sent an HTML page (Content-Type text/html): give the URL of the .wasm file itself (a release asset, a raw file).'
      : '';
    throw new McpError(
      'source-invalid',
      `${source} is not a WebAssembly component: ${error.message.replace(/the file/g, 'the download')}.${html}`,
      { cause: error },
    );
  }
}

async function fromFile(
  reference: Extract<SourceReference, { kind: 'file' }>,
  expected: string | undefined,
  options: FetchSourceOptions,
): Promise<FetchedComponent> {
  const { bytes } = await readComponentSource(
    { path: reference.path },
    { maxComponentSize: options.maxBytes },
  );
  const digest = sha256(bytes);
  checkPin(reference.path, digest, expected);
  return { bytes, digest, id: reference.id, source: reference.path, path: reference.path, fromCache: false };
}

async function fromUrl(
  reference: Extract<SourceReference, { kind: 'url' }>,
  expected: string | undefined,
  options: FetchSourceOptions,
): Promise<FetchedComponent> {
  const source = reference.url.href;
  const done = (bytes: Uint8Array, digest: string, fromCache: boolean): FetchedComponent => ({
    bytes,
    digest,
    id: reference.id,
    source,
    pinned: `${source}#sha256=${digest}`,
    fromCache,
  });
  if (expected !== undefined) {
    const cached = await options.cache?.get(expected, options.maxBytes);
    if (cached) return done(cached, expected, true);
  }
  const response = await fetchBounded(reference.url, {
    maxBytes: options.maxBytes,
    timeoutMs: options.timeoutMs,
    signal: options.signal,
    onProgress: options.onProgress,
    sizeLimitHint: '--max-component-size',
  });
  const bytes = response.body;
  const digest = sha256(bytes);
  checkPin(source, digest, expected);
  checkComponent(source, bytes, response.headers.get('content-type'));
  await options.cache?.put(digest, bytes);
  return done(bytes, digest, false);
}

/** A reference pinned `@sha256:` whose layer the cache holds: loaded without asking the registry. */
async function fromOciCache(
  reference: Extract<SourceReference, { kind: 'oci' }>,
  options: FetchSourceOptions,
): Promise<FetchedComponent | undefined> {
  const { digest } = reference.reference;
  const manifestHex = digest === undefined ? undefined : normalizeSha256(digest);
  if (options.cache === undefined || manifestHex === undefined) return undefined;
  const layerHex = await options.cache.layerOf(manifestHex);
  const bytes = layerHex === undefined ? undefined : await options.cache.get(layerHex, options.maxBytes);
  if (bytes === undefined || layerHex === undefined) return undefined;
  const source = canonicalSource(reference);
  const pinned = pinnedReference(reference.reference, `sha256:${manifestHex}`);
  return { bytes, digest: layerHex, id: reference.id, source, pinned, fromCache: true };
}

async function fromOci(
  reference: Extract<SourceReference, { kind: 'oci' }>,
  expected: string | undefined,
  options: FetchSourceOptions,
): Promise<FetchedComponent> {
  const source = canonicalSource(reference);
  const offline = await fromOciCache(reference, options);
  if (offline) {
    checkPin(source, offline.digest, expected);
    checkComponent(source, offline.bytes);
    return offline;
  }
  let fromCache = false;
  const { cache } = options;
  const pulled = await pullComponent(reference.reference, {
    maxBytes: options.maxBytes,
    timeoutMs: options.timeoutMs,
    signal: options.signal,
    onProgress: options.onProgress,
    ...(options.dockerConfigPath === undefined ? {} : { dockerConfigPath: options.dockerConfigPath }),
    ...(cache === undefined
      ? {}
      : {
          cached: async (digest: string) => {
            const hex = normalizeSha256(digest);
            const bytes = hex === undefined ? undefined : await cache.get(hex, options.maxBytes);
            if (bytes) fromCache = true;
            return bytes;
          },
        }),
  });
  const { bytes } = pulled;
  // The client verified the layer against its manifest; the bytes are hashed here once more, so what
  // is pinned, cached and stored is the digest of these very bytes.
  const digest = sha256(bytes);
  if (pulled.layerDigest.startsWith('sha256:') && `sha256:${digest}` !== pulled.layerDigest.toLowerCase()) {
    throw new McpError(
      'digest-mismatch',
      `${source}: the component layer has sha256 ${digest}, but the manifest says ${pulled.layerDigest}: nothing was loaded or stored`,
    );
  }
  checkPin(source, digest, expected);
  checkComponent(source, bytes);
  if (!fromCache) await cache?.put(digest, bytes);
  const manifestHex = normalizeSha256(pulled.manifestDigest);
  if (manifestHex !== undefined) await cache?.pinLayer(manifestHex, digest);
  return { bytes, digest, id: reference.id, source, pinned: pulled.pinned, fromCache };
}

/**
 * Reads, downloads or pulls the component `reference` names (see `parseSourceReference`), within the
 * limits of `options`. Errors are `McpError`s a user can act on: `bad-path`, the `source-*` codes,
 * `digest-mismatch`, `load-cancelled`; a file that cannot be read throws the runtime's error.
 */
export async function fetchComponentSource(
  reference: SourceReference,
  options: FetchSourceOptions,
): Promise<FetchedComponent> {
  const expected = expectedDigest(reference, options.sha256);
  switch (reference.kind) {
    case 'file':
      return fromFile(reference, expected, options);
    case 'url':
      return fromUrl(reference, expected, options);
    case 'oci':
      return fromOci(reference, expected, options);
  }
}
