/**
 * A component's bytes, held only until its load has read them. The spec of a load stays in the
 * component actor's context for the actor's whole life (a reload starts from it); holding the bytes
 * there kept a copy of every loaded component (11.7 MiB per JS component) for nothing: the prepared
 * component keeps its compiled modules, and `load-component` and a restart read the file again.
 */
import { RuntimeError } from '../RuntimeError.ts';
import type { ComponentSource } from '../types.ts';

export class TransientSource {
  readonly name: string | undefined;
  readonly sha256: string | undefined;
  #bytes: Uint8Array | undefined;

  constructor(source: { bytes: Uint8Array; name?: string; sha256?: string }) {
    this.#bytes = source.bytes;
    this.name = source.name;
    this.sha256 = source.sha256;
  }

  /** The bytes, until `release`; then an error that says how to load the component again. */
  get bytes(): Uint8Array {
    if (this.#bytes === undefined) {
      throw new RuntimeError(
        'host-error',
        `${this.name ?? 'the component'}: its bytes were let go once it had loaded; load it again from its file (load-component)`,
      );
    }
    return this.#bytes;
  }

  /** The load read the bytes: they are not kept. */
  release(): void {
    this.#bytes = undefined;
  }
}

/** A source of bytes becomes a `TransientSource`; a path is kept as it is (it is read when needed). */
export function transient(source: ComponentSource): {
  source: ComponentSource;
  release: () => void;
} {
  if (!('bytes' in source)) return { source, release: () => {} };
  const held = new TransientSource(source);
  return { source: held, release: () => held.release() };
}
