/**
 * Remote component sources: one bounded HTTP(S) request (`fetchBounded`) and the OCI registry client
 * (pull, push, list). The rest of the MCP layer imports them from here.
 */
export {
  type BoundedFetchOptions,
  type BoundedResponse,
  type ByteProgress,
  fetchBounded,
  isLoopbackHost,
} from './fetchBounded.ts';
export * from './oci/index.ts';
