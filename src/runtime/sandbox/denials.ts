import type { Denial } from '../types.ts';

/** Distinct refusals kept per call: enough for advice, bounded against a guest that loops over hosts. */
const MAX_DENIALS = 16;

/**
 * Why accesses were refused during a call, for the tool result's advice: each access once, at most
 * `MAX_DENIALS`. Written only by the host when it refuses; guest output is never read for it.
 */
export class DenialLog {
  #denials = new Map<string, Denial>();

  /** Records a refusal. */
  readonly deny = (denial: Denial): void => {
    const key = JSON.stringify(denial);
    if (this.#denials.size < MAX_DENIALS && !this.#denials.has(key)) this.#denials.set(key, denial);
  };

  /** The refusals since the last take, and starts afresh. */
  take(): Denial[] {
    const taken = [...this.#denials.values()];
    this.#denials = new Map();
    return taken;
  }
}
