/**
 * One FIFO of asynchronous work per key (a promise chain per key): work queued under one key runs one
 * at a time, in the order it was queued, each unit from its first step to its last; work under different
 * keys never waits for each other. A key is forgotten as soon as its last unit settles, so keys that are
 * gone (unloaded components) leave nothing behind.
 */
export class KeyedQueue {
  /** The last unit queued per key, settled (never rejected) when it ends. */
  readonly #tails = new Map<string, Promise<void>>();

  /**
   * Runs `work` once everything queued before under `key` has settled; resolves or rejects as `work`
   * does. A failed unit does not stop the ones after it.
   */
  run<T>(key: string, work: () => Promise<T>): Promise<T> {
    const result = (this.#tails.get(key) ?? Promise.resolve()).then(work);
    const tail = result.then(
      () => undefined,
      () => undefined,
    );
    this.#tails.set(key, tail);
    void tail.then(() => {
      if (this.#tails.get(key) === tail) this.#tails.delete(key);
    });
    return result;
  }

  /** How many keys have work queued or running (0 once everything has settled). */
  get size(): number {
    return this.#tails.size;
  }
}
