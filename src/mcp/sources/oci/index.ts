/**
 * The OCI registry client: pull and push WebAssembly component artifacts (config media type
 * `application/vnd.wasm.config.v0+json`, one `application/wasm` layer), list a registry's components.
 *
 * CONTRACT STUB (lead): the signatures are fixed; the OCI helper implements them.
 */
import { McpError } from '../../McpError.ts';
import type { ByteProgress } from '../fetchBounded.ts';

/** `oci://REGISTRY/REPO:TAG` or `oci://REGISTRY/REPO@sha256:HEX`, parsed. */
export interface OciReference {
  /** `host[:port]`, as written. */
  registry: string;
  /** `a/b/c`. */
  repository: string;
  tag?: string;
  /** `sha256:HEX` when the reference pins one. */
  digest?: string;
}

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

/** Parses `oci://...`; throws `McpError('bad-path')` naming what is wrong. */
export function parseOciReference(text: string): OciReference {
  throw new McpError('bad-path', `cannot parse ${text}: not implemented yet`);
}

/** Pulls a component artifact; see the errors in `fetchBounded.ts`, plus `source-invalid`, `digest-mismatch`. */
export async function pullComponent(
  reference: OciReference,
  options: OciPullOptions,
): Promise<PulledComponent> {
  void reference;
  void options;
  throw new McpError('source-unreachable', 'OCI pull is not implemented yet');
}
