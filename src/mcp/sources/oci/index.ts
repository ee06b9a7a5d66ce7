/**
 * The OCI registry client: pull and push WebAssembly component artifacts (config media type
 * `application/vnd.wasm.config.v0+json`, one `application/wasm` layer), list a registry's components.
 * Written on `node:http(s)` (through `fetchBounded`): the distribution API needed here is a dozen
 * requests, and the limits, cancellation and error messages are the same as for `https://` sources.
 */
export { dockerConfigPath } from './dockerConfig.ts';
export {
  type ListedComponent,
  listRegistry,
  type OciListOptions,
  parseRegistryUrl,
  type RegistryListing,
  registriesProblem,
} from './list.ts';
export {
  ANNOTATION_DESCRIPTION,
  ANNOTATION_TITLE,
  ANNOTATION_VERSION,
  OCI_MANIFEST,
  WASM_CONFIG,
  WASM_LAYER,
  WASM_LAYERS,
} from './mediaTypes.ts';
export { type OciPullOptions, type PulledComponent, pullComponent } from './pull.ts';
export { type OciPushOptions, type PushedComponent, pushComponent } from './push.ts';
export {
  DEFAULT_TAG,
  formatOciReference,
  type OciReference,
  parseOciReference,
  pinnedReference,
} from './reference.ts';
