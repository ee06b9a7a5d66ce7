/**
 * The manifest: one YAML file that lists the components a server serves (`serve --manifest FILE`) or a
 * component directory holds (`wasmactor component sync --manifest FILE`). See examples/manifest.yaml.
 */
export { type SourceFetcher, sourceFetcher } from './fetchSource.ts';
export { MAX_MANIFEST_BYTES, parseManifest, readManifest } from './parseManifest.ts';
export { checkManifestLoaded, manifestFlag, prepareManifest, restoreManifest } from './serveManifest.ts';
export { type SyncFailure, type SyncOptions, type SyncReport, syncManifest } from './syncManifest.ts';
export type { Manifest, ManifestEntry } from './types.ts';
