/**
 * `pushComponent`: publishes a component in the wasm artifact layout that `wkg oci push` and wassette
 * use (the `oci-wasm` crate): an OCI image manifest (`mediaType` set, no `artifactType`) whose config is
 * `application/vnd.wasm.config.v0+json` (`{created, architecture: "wasm", os: "wasip2", layerDigests}`)
 * and whose one layer is the component, `application/wasm`; the annotations
 * `org.opencontainers.image.{title,description,version,created}` sit on the manifest (description,
 * version, authors, licenses, source, url and revision also from the component's own `wasm-metadata`
 * custom sections; the caller's annotations win). Blobs go up with
 * the monolithic upload of the distribution spec (POST an upload, PUT it with `?digest=`), skipped when
 * the registry already has them (HEAD).
 */
import { McpError } from '../../McpError.ts';
import type { ByteProgress } from '../fetchBounded.ts';
import { sha256Digest } from './manifest.ts';
import { ANNOTATION_CREATED, ANNOTATION_TITLE, OCI_MANIFEST, WASM_CONFIG, WASM_LAYER } from './mediaTypes.ts';
import { metadataAnnotations } from './metadata.ts';
import { checkComponentBinary } from './pull.ts';
import { RegistrySession } from './RegistrySession.ts';
import { apiRepository, formatOciReference, type OciReference, pinnedReference } from './reference.ts';

/** Options of a push. */
export interface OciPushOptions {
  timeoutMs: number;
  signal?: AbortSignal | undefined;
  /** Manifest annotations, over the defaults (title: the repository's last segment; created: now; the component's metadata). */
  annotations?: Record<string, string>;
  /** `~/.docker/config.json` by default (`DOCKER_CONFIG` honoured). */
  dockerConfigPath?: string;
  onProgress?: ByteProgress | undefined;
}

/** A pushed component. */
export interface PushedComponent {
  manifestDigest: string;
  layerDigest: string;
  /** `oci://REGISTRY/REPO@sha256:HEX`: what to load to get exactly these bytes. */
  pinned: string;
  annotations: Record<string, string>;
}

/** Responses of the registry during a push are small JSON or empty. */
const ANSWER_MAX_BYTES = 1024 * 1024;

async function uploadBlob(
  session: RegistrySession,
  repository: string,
  blob: Uint8Array,
  what: string,
): Promise<string> {
  const digest = sha256Digest(blob);
  const exists = await session.send(`/v2/${repository}/blobs/${digest}`, {
    what: `the ${what} blob`,
    method: 'HEAD',
    maxBytes: ANSWER_MAX_BYTES,
  });
  if (exists.status === 200) return digest;
  const started = await session.send(`/v2/${repository}/blobs/uploads/`, {
    what: `an upload to ${session.registry}/${repository}`,
    method: 'POST',
    maxBytes: ANSWER_MAX_BYTES,
  });
  const location = started.headers.get('location');
  if (started.status !== 202 || location === null) {
    throw new McpError(
      'source-invalid',
      `${session.registry} did not start an upload to ${repository} (answered ${started.status}${location === null ? ' without a Location' : ''})`,
    );
  }
  const target = new URL(location, started.url);
  target.searchParams.set('digest', digest);
  const done = await session.send(target, {
    what: `the ${what} blob`,
    method: 'PUT',
    headers: { 'content-type': 'application/octet-stream' },
    body: blob,
    maxBytes: ANSWER_MAX_BYTES,
  });
  if (done.status !== 201) {
    throw new McpError(
      'source-invalid',
      `${session.registry} did not accept the ${what} blob (answered ${done.status})`,
    );
  }
  return digest;
}

/** Publishes `bytes` (a component binary) at `reference` (which must name a tag); answers the pinned reference. */
export async function pushComponent(
  reference: OciReference,
  bytes: Uint8Array,
  options: OciPushOptions,
): Promise<PushedComponent> {
  const label = formatOciReference(reference);
  if (reference.digest !== undefined || reference.tag === undefined) {
    throw new McpError(
      'bad-path',
      `${label}: push to a tag (oci://REGISTRY/REPOSITORY:TAG); the digest is computed from the component`,
    );
  }
  checkComponentBinary(bytes, `the file pushed to ${label}`);
  const session = new RegistrySession(reference.registry, options);
  const repository = apiRepository(reference);
  const layerDigest = sha256Digest(bytes);
  const created = new Date().toISOString();
  const config = Buffer.from(
    JSON.stringify({ created, architecture: 'wasm', os: 'wasip2', layerDigests: [layerDigest] }),
  );
  const configDigest = await uploadBlob(session, repository, config, 'config');
  options.onProgress?.(0, bytes.byteLength);
  await uploadBlob(session, repository, bytes, 'component');
  options.onProgress?.(bytes.byteLength, bytes.byteLength);
  const annotations = {
    [ANNOTATION_TITLE]: repository.split('/').at(-1) ?? repository,
    [ANNOTATION_CREATED]: created,
    ...metadataAnnotations(bytes),
    ...options.annotations,
  };
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: OCI_MANIFEST,
      config: { mediaType: WASM_CONFIG, digest: configDigest, size: config.byteLength },
      layers: [{ mediaType: WASM_LAYER, digest: layerDigest, size: bytes.byteLength }],
      annotations,
    }),
  );
  const manifestDigest = sha256Digest(manifest);
  const put = await session.send(`/v2/${repository}/manifests/${reference.tag}`, {
    what: `the manifest of ${label}`,
    method: 'PUT',
    headers: { 'content-type': OCI_MANIFEST },
    body: manifest,
    maxBytes: ANSWER_MAX_BYTES,
  });
  if (put.status !== 201) {
    throw new McpError(
      'source-invalid',
      `${reference.registry} did not accept the manifest of ${label} (answered ${put.status})`,
    );
  }
  const stored = put.headers.get('docker-content-digest');
  if (stored !== null && stored !== manifestDigest) {
    throw new McpError(
      'digest-mismatch',
      `${reference.registry} stored the manifest of ${label} as ${stored}, not ${manifestDigest}: it altered the manifest; pull it by tag to see what it holds`,
    );
  }
  return { manifestDigest, layerDigest, pinned: pinnedReference(reference, manifestDigest), annotations };
}
