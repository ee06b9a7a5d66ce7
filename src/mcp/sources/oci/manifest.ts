/**
 * Reading manifests: fetch one by tag or digest (verifying its digest), pick the wasm manifest of an
 * index, and check that a manifest is a component artifact (exactly one wasm layer, not a container image).
 */
import { createHash } from 'node:crypto';
import { McpError } from '../../McpError.ts';
import {
  DOCKER_MANIFEST_LIST,
  IMAGE_CONFIGS,
  MANIFEST_ACCEPT,
  OCI_INDEX,
  WASM_LAYERS,
} from './mediaTypes.ts';
import { type RegistrySession, registryErrorCode } from './RegistrySession.ts';

/** Largest manifest read (the spec recommends registries accept at least 4 MiB). */
export const MANIFEST_MAX_BYTES = 4 * 1024 * 1024;

const DIGEST = /^sha256:[a-f0-9]{64}$/;

/** A content descriptor (`mediaType`, `digest`, `size`). */
export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  platform?: { architecture?: string; os?: string };
  artifactType?: string;
}

/** The fields of an image manifest or index that the pull reads. */
export interface ManifestDocument {
  mediaType?: string;
  config?: Descriptor;
  layers?: Descriptor[];
  manifests?: Descriptor[];
  annotations?: Record<string, unknown>;
}

/** A manifest as fetched: its bytes, their verified digest and the parsed document. */
export interface FetchedManifest {
  digest: string;
  bytes: Uint8Array;
  document: ManifestDocument;
  mediaType: string;
}

/** `sha256:HEX` of `bytes`. */
export function sha256Digest(bytes: Uint8Array): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}

/** The `tags` of a `/tags/list` answer (none when it cannot be read). */
export function tagsOf(body: Uint8Array): string[] {
  try {
    const tags = (JSON.parse(Buffer.from(body).toString('utf8')) as { tags?: unknown }).tags;
    return Array.isArray(tags) ? tags.filter((tag): tag is string => typeof tag === 'string') : [];
  } catch {
    return [];
  }
}

/** What the registry lacks when a manifest is 404: the repository, or the tag (listing a few tags). */
async function missingManifest(session: RegistrySession, repository: string, ref: string, body: Uint8Array) {
  const where = `${session.registry}/${repository}`;
  let code = registryErrorCode(body);
  let tags: string[] = [];
  if (code !== 'NAME_UNKNOWN') {
    const probe = await session.send(`/v2/${repository}/tags/list`, {
      what: `the tags of ${where}`,
      maxBytes: MANIFEST_MAX_BYTES,
    });
    if (probe.status === 404) code = 'NAME_UNKNOWN';
    else tags = tagsOf(probe.body);
  }
  if (code === 'NAME_UNKNOWN') {
    return new McpError(
      'source-not-found',
      `the repository ${repository} does not exist on ${session.registry}: check the repository name (or push the component there first)`,
    );
  }
  const what = DIGEST.test(ref) ? `the manifest ${ref}` : `the tag ${ref}`;
  const known =
    tags.length === 0
      ? 'it has no tags'
      : `its tags: ${tags.slice(0, 20).join(', ')}${tags.length > 20 ? ', ...' : ''}`;
  return new McpError('source-not-found', `${what} does not exist in ${where} (${known})`);
}

/** GETs the manifest `ref` (a tag or a digest) of `repository`; verifies its digest. */
export async function fetchManifest(
  session: RegistrySession,
  repository: string,
  ref: string,
): Promise<FetchedManifest> {
  const label = `${session.registry}/${repository}${DIGEST.test(ref) ? '@' : ':'}${ref}`;
  const response = await session.send(`/v2/${repository}/manifests/${ref}`, {
    what: `the manifest of ${label}`,
    headers: { accept: MANIFEST_ACCEPT },
    maxBytes: MANIFEST_MAX_BYTES,
  });
  if (response.status === 404) throw await missingManifest(session, repository, ref, response.body);
  const digest = sha256Digest(response.body);
  const announced = response.headers.get('docker-content-digest');
  const expected = DIGEST.test(ref) ? ref : announced?.startsWith('sha256:') ? announced : undefined;
  if (expected !== undefined && expected !== digest) {
    throw new McpError(
      'digest-mismatch',
      `the manifest of ${label} has the digest ${digest}, not ${expected}: it was altered on the way or in the registry; nothing was loaded`,
    );
  }
  let document: ManifestDocument;
  try {
    document = JSON.parse(Buffer.from(response.body).toString('utf8')) as ManifestDocument;
  } catch {
    throw new McpError('source-invalid', `the manifest of ${label} is not JSON`);
  }
  const mediaType = document.mediaType ?? response.headers.get('content-type')?.split(';')[0]?.trim() ?? '';
  return { digest, bytes: response.body, document, mediaType };
}

/** True when the fetched document is an index (a list of manifests) rather than one manifest. */
export function isIndex(manifest: FetchedManifest): boolean {
  return (
    manifest.mediaType === OCI_INDEX ||
    manifest.mediaType === DOCKER_MANIFEST_LIST ||
    Array.isArray(manifest.document.manifests)
  );
}

/** The one manifest of an index that holds the component: the only entry, or the only `wasm` platform one. */
export function chooseFromIndex(manifest: FetchedManifest, label: string): Descriptor {
  const entries = manifest.document.manifests ?? [];
  const wasm = entries.filter((entry) => entry.platform?.architecture === 'wasm');
  const chosen = entries.length === 1 ? entries[0] : wasm.length === 1 ? wasm[0] : undefined;
  if (!chosen || !DIGEST.test(chosen.digest)) {
    throw new McpError(
      'source-invalid',
      `${label} is an index of ${entries.length} manifests, ${wasm.length} of them for the wasm platform; wasmactor needs exactly one component manifest: name it by its digest (oci://...@sha256:...)`,
    );
  }
  return chosen;
}

/** The wasm layer of a component manifest; refuses anything else, naming the media types found. */
export function wasmLayer(document: ManifestDocument, label: string): Descriptor {
  const configType = document.config?.mediaType ?? '';
  if (IMAGE_CONFIGS.includes(configType)) {
    throw new McpError(
      'source-invalid',
      `${label} is a container image (config ${configType}), not a WebAssembly component artifact; publish the component with "wasmactor component push" (or wkg oci push)`,
    );
  }
  const layers = document.layers ?? [];
  const layer = layers[0];
  if (layers.length !== 1 || !layer) {
    throw new McpError(
      'source-invalid',
      `${label} has ${layers.length} layers (${layers.map((l) => l.mediaType).join(', ') || 'none'}); a component artifact has exactly one layer of media type ${WASM_LAYERS[0]}`,
    );
  }
  if (!WASM_LAYERS.includes(layer.mediaType)) {
    throw new McpError(
      'source-invalid',
      `the layer of ${label} has the media type ${layer.mediaType}, which is not a WebAssembly component; wasmactor accepts ${WASM_LAYERS.join(', ')}`,
    );
  }
  if (!DIGEST.test(layer.digest)) {
    throw new McpError(
      'source-invalid',
      `the layer of ${label} has the digest "${layer.digest}"; wasmactor verifies sha256 digests only`,
    );
  }
  return layer;
}

/** String annotations of a manifest (others are dropped). */
export function stringAnnotations(document: ManifestDocument): Record<string, string> {
  const entries = Object.entries(document.annotations ?? {}).filter(
    (entry): entry is [string, string] => typeof entry[1] === 'string',
  );
  return Object.fromEntries(entries);
}
