/**
 * `pullComponent`: manifest (by tag or digest, through an index when there is one), then the one wasm
 * layer, unless the caller's cache already holds its digest. Every digest is verified; on a mismatch
 * nothing is returned.
 */
import { McpError } from '../../McpError.ts';
import type { ByteProgress } from '../fetchBounded.ts';
import {
  chooseFromIndex,
  fetchManifest,
  isIndex,
  sha256Digest,
  stringAnnotations,
  wasmLayer,
} from './manifest.ts';
import { RegistrySession } from './RegistrySession.ts';
import { apiRepository, formatOciReference, type OciReference, pinnedReference } from './reference.ts';

/** Options of a pull. */
export interface OciPullOptions {
  maxBytes: number;
  timeoutMs: number;
  signal?: AbortSignal | undefined;
  onProgress?: ByteProgress | undefined;
  /** Answers the wasm layer from a local cache when it holds `sha256:HEX`: no blob download then. */
  cached?: (digest: string) => Promise<Uint8Array | undefined>;
  /** `~/.docker/config.json` by default (`DOCKER_CONFIG` honoured); tests give another. */
  dockerConfigPath?: string;
}

/** A pulled component. */
export interface PulledComponent {
  bytes: Uint8Array;
  /** `sha256:HEX` of the wasm layer (verified). */
  layerDigest: string;
  /** `sha256:HEX` of the manifest (what `@sha256:` pins). */
  manifestDigest: string;
  /** The reference pinned to the manifest digest: `oci://REGISTRY/REPO@sha256:HEX`. */
  pinned: string;
  annotations: Record<string, string>;
}

const COMPONENT_HEADER = [0x00, 0x61, 0x73, 0x6d, 0x0d, 0x00, 0x01, 0x00];

/** Refuses bytes that are not a WebAssembly component binary, saying what they are instead. */
export function checkComponentBinary(bytes: Uint8Array, label: string): void {
  const magic = bytes[0] === 0x00 && bytes[1] === 0x61 && bytes[2] === 0x73 && bytes[3] === 0x6d;
  if (magic && COMPONENT_HEADER.every((byte, i) => bytes[i] === byte)) return;
  const what = magic ? 'a core WebAssembly module, not a component' : 'not WebAssembly at all';
  const fix = magic ? ' (make it a component, e.g. with wasm-tools component new)' : '';
  throw new McpError('source-invalid', `the layer of ${label} is ${what}${fix}`);
}

/** Pulls a component artifact; see the errors in `fetchBounded.ts`, plus `source-invalid`, `digest-mismatch`. */
export async function pullComponent(
  reference: OciReference,
  options: OciPullOptions,
): Promise<PulledComponent> {
  const label = formatOciReference(reference);
  const session = new RegistrySession(reference.registry, options);
  const repository = apiRepository(reference);
  const ref = reference.digest ?? reference.tag;
  if (ref === undefined) throw new McpError('bad-path', `${label} names neither a tag nor a digest`);
  let manifest = await fetchManifest(session, repository, ref);
  // The digest the user pins (and that `pinned` names) is the one of what the reference resolved to.
  const manifestDigest = manifest.digest;
  if (isIndex(manifest))
    manifest = await fetchManifest(session, repository, chooseFromIndex(manifest, label).digest);
  const layer = wasmLayer(manifest.document, label);
  const annotations = stringAnnotations(manifest.document);
  const result = (bytes: Uint8Array): PulledComponent => ({
    bytes,
    layerDigest: layer.digest,
    manifestDigest,
    pinned: pinnedReference(reference, manifestDigest),
    annotations,
  });
  const cached = await options.cached?.(layer.digest);
  // A cache entry is trusted only when it still has its digest.
  if (cached && sha256Digest(cached) === layer.digest) return result(cached);
  if (typeof layer.size === 'number' && layer.size > options.maxBytes) {
    throw new McpError(
      'source-too-large',
      `the component of ${label} is ${layer.size} bytes, more than the limit of ${options.maxBytes} bytes; nothing was downloaded (raise the limit with --max-component-size)`,
    );
  }
  const response = await session.send(`/v2/${repository}/blobs/${layer.digest}`, {
    what: `the component blob of ${label}`,
    maxBytes: options.maxBytes,
    onProgress: options.onProgress,
    sizeLimitHint: '--max-component-size',
  });
  if (response.status === 404) {
    throw new McpError(
      'source-not-found',
      `the blob ${layer.digest} of ${label} is missing from ${reference.registry} although its manifest names it (an incomplete push?): push the component again`,
    );
  }
  const digest = sha256Digest(response.body);
  if (digest !== layer.digest) {
    throw new McpError(
      'digest-mismatch',
      `the component of ${label} has the digest ${digest}, not ${layer.digest} as its manifest says: it was altered on the way or in the registry; nothing was loaded`,
    );
  }
  checkComponentBinary(response.body, label);
  return result(response.body);
}
