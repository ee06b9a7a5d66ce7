/** The shapes of a manifest (`serve --manifest FILE`, `component sync --manifest FILE`). */
import type { Policy } from '../../runtime/policy/index.ts';
import type { SourceReference } from '../sources/index.ts';

/** One entry of `components:`. */
export interface ManifestEntry {
  id: string;
  /** The source, parsed as `load-component` parses one (a relative path against the manifest's folder). */
  source: SourceReference;
  /**
   * The source in canonical form (an absolute path, a URL without fragment, an `oci://` reference): what
   * the component directory's `metadata.json` records as `source`, and what a restart compares.
   */
  sourceText: string;
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
