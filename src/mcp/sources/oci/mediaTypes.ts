/**
 * The media types of the WebAssembly OCI artifact, as `wkg`, wassette (the `oci-wasm` crate) and the
 * CNCF TAG Runtime "Wasm OCI Artifact" layout publish it: an OCI image manifest whose config is
 * `application/vnd.wasm.config.v0+json` and whose one layer is the component, `application/wasm`.
 */

/** What `component push` writes and what `Accept` asks for first. */
export const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
export const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';
export const DOCKER_MANIFEST = 'application/vnd.docker.distribution.manifest.v2+json';
export const DOCKER_MANIFEST_LIST = 'application/vnd.docker.distribution.manifest.list.v2+json';

/** The `Accept` header of a manifest request: the single-artifact manifests and the indexes. */
export const MANIFEST_ACCEPT = [OCI_MANIFEST, OCI_INDEX, DOCKER_MANIFEST, DOCKER_MANIFEST_LIST].join(', ');

/** The config of the wasm layout (wkg, wassette); what `component push` writes. */
export const WASM_CONFIG = 'application/vnd.wasm.config.v0+json';
/** The component layer of the wasm layout; what `component push` writes. */
export const WASM_LAYER = 'application/wasm';

/**
 * Layer media types accepted on pull: `application/wasm` (wkg, wassette, CNCF layout), and the older
 * `application/vnd.wasm.content.layer.v1+wasm` (wasm-to-oci, oras examples) and
 * `application/vnd.module.wasm.content.layer.v1+wasm` (wasmCloud) that carry the same raw bytes.
 */
export const WASM_LAYERS: readonly string[] = [
  WASM_LAYER,
  'application/vnd.wasm.content.layer.v1+wasm',
  'application/vnd.module.wasm.content.layer.v1+wasm',
];

/** Configs of container images: such a manifest is an image to run, not a component artifact. */
export const IMAGE_CONFIGS: readonly string[] = [
  'application/vnd.oci.image.config.v1+json',
  'application/vnd.docker.container.image.v1+json',
];

/** Manifest annotations that `component push` writes and `search-components` reads. */
export const ANNOTATION_TITLE = 'org.opencontainers.image.title';
export const ANNOTATION_DESCRIPTION = 'org.opencontainers.image.description';
export const ANNOTATION_VERSION = 'org.opencontainers.image.version';
export const ANNOTATION_CREATED = 'org.opencontainers.image.created';
