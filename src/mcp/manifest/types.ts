/** The shapes of a manifest (`serve --manifest FILE`, `component sync --manifest FILE`). */
import type { Policy } from '../../runtime/policy/index.ts';

/** Where a manifest entry's component comes from, classified and checked. */
export type ManifestSource =
  /** A file: `path` is absolute (a relative `source` is resolved against the manifest's folder). */
  | { kind: 'file'; reference: string; path: string }
  /** `https://...` (or `http://` on loopback); `pin` from a `#sha256=HEX` suffix. */
  | { kind: 'https'; reference: string; url: string; pin?: string }
  /** `oci://REGISTRY/REPO[:TAG|@sha256:HEX]`; `pin` from `@sha256:`. */
  | { kind: 'oci'; reference: string; pin?: string };

/** One entry of `components:`. */
export interface ManifestEntry {
  id: string;
  /**
   * The source as compared with the component directory's `metadata.json` `source`: the absolute path of
   * a file, the URL or `oci://` reference as written otherwise.
   */
  source: ManifestSource;
  stateful: boolean;
  /**
   * sha256 (64 lowercase hex digits) the component's bytes must have: the entry's `sha256`, or the
   * `#sha256=` pin of an https source. (An OCI `@sha256:` pins the artifact's manifest, not the wasm
   * bytes: it is part of the reference, which is compared as a whole.) Undefined when nothing pins them.
   */
  sha256?: string;
  /** The component's whole policy: its inline `permissions`, its `policy` file, or deny-all. */
  policy: Policy;
  /** Where the policy came from, for messages: `inline`, the policy file's path, or `deny-all`. */
  policyFrom: string;
  /** `components[N]` and the line of the entry, for messages. */
  at: { field: string; line: number };
}

/** A parsed, checked manifest. */
export interface Manifest {
  /** Absolute path of the manifest file. */
  path: string;
  components: ManifestEntry[];
}
