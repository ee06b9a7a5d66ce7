/** The fast-check arbitraries of WIT JSON values live in src (shared with `wasmactor check`). */
export { type ArbitraryOptions, arbitraryJsonFor } from '../../src/runtime/wit/arbitraries.ts';
