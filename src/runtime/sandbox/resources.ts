/**
 * Keeps every resource a guest opened (descriptors, streams, directory listings) so that the sandbox
 * can close them when the instance is dropped: JS guests (componentize-js) never drop them.
 */

const symbolDispose: typeof Symbol.dispose =
  Symbol.dispose ?? (Symbol.for('dispose') as typeof Symbol.dispose);

export { symbolDispose };

type Disposable = { [Symbol.dispose](): void };

export class ResourceTracker {
  #live = new Set<Disposable>();
  #closed = false;

  get closed(): boolean {
    return this.#closed;
  }

  get size(): number {
    return this.#live.size;
  }

  /**
   * Tracks a shim resource. Its own dispose (which the glue calls when the guest drops it) also
   * forgets it, so a long-lived instance does not accumulate dropped resources.
   */
  track<T extends object>(resource: T): T {
    const target = resource as T & Disposable;
    const dispose = target[symbolDispose];
    if (typeof dispose !== 'function') return resource;
    const live = this.#live;
    Object.defineProperty(target, symbolDispose, {
      configurable: true,
      value() {
        live.delete(target);
        dispose.call(target);
      },
    });
    this.add(target);
    return resource;
  }

  /** Tracks an object whose dispose method calls `forget` itself. */
  add(resource: Disposable): void {
    if (this.#closed) {
      resource[symbolDispose]();
      throw 'bad-descriptor';
    }
    this.#live.add(resource);
  }

  forget(resource: Disposable): void {
    this.#live.delete(resource);
  }

  /** Disposes everything still open; later `add`s are refused. */
  closeAll(): void {
    this.#closed = true;
    const live = [...this.#live];
    this.#live.clear();
    // Close streams before the descriptors they read from: newest first.
    for (const resource of live.reverse()) {
      try {
        resource[symbolDispose]();
      } catch {
        // A resource that fails to close must not keep the others open.
      }
    }
  }
}
