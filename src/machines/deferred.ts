/**
 * The settle side of a promise, carried inside events so that an action can answer the caller that
 * sent the event (replies never need polling).
 */
export interface Deferred<T> {
  resolve(value: T): void;
  reject(error: unknown): void;
}

/** A promise together with its `Deferred`. */
export function createDeferred<T>(): { promise: Promise<T>; deferred: Deferred<T> } {
  let deferred!: Deferred<T>;
  const promise = new Promise<T>((resolve, reject) => {
    deferred = { resolve, reject };
  });
  return { promise, deferred };
}
