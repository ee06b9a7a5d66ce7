/**
 * The settle side of a promise, carried inside events so that an action can answer the caller that
 * sent the event (replies never need polling); and the read-only watch on calls and their replies
 * (`ComponentHost.watchCalls`, what the inspector's call log is made of).
 */
import { type CallOutcome, type JsonObject, log } from '../runtime/index.ts';

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

/** A call as the caller sent it (before it is routed), then how it ended (the caller's own outcome or error). */
export type CallWatchEvent =
  | { type: 'sent'; callId: string; tool: string; args: JsonObject; instance?: string }
  | { type: 'settled'; callId: string; outcome: CallOutcome }
  | { type: 'failed'; callId: string; error: unknown };

/** The watchers of one host; nothing is done per call while there are none. */
export class CallWatchers {
  readonly #watchers = new Set<(event: CallWatchEvent) => void>();

  get size(): number {
    return this.#watchers.size;
  }

  /** Adds `watcher`; returns the unsubscribe. */
  add(watcher: (event: CallWatchEvent) => void): () => void {
    this.#watchers.add(watcher);
    return () => this.#watchers.delete(watcher);
  }

  /** Reports call `callId` as sent now, and its end when `promise` settles. */
  report(
    callId: string,
    tool: string,
    args: JsonObject,
    instance: string | undefined,
    promise: Promise<CallOutcome>,
  ): void {
    this.#emit({ type: 'sent', callId, tool, args, ...(instance === undefined ? {} : { instance }) });
    promise.then(
      (outcome) => this.#emit({ type: 'settled', callId, outcome }),
      (error: unknown) => this.#emit({ type: 'failed', callId, error }),
    );
  }

  /** A watcher that throws is logged and skipped: watching never changes a call (nor crashes the host). */
  #emit(event: CallWatchEvent): void {
    for (const watcher of this.#watchers) {
      try {
        watcher(event);
      } catch (error) {
        log.error('a call watcher failed', {
          callId: event.callId,
          error: error instanceof Error ? error.message : String(error),
        });
      }
    }
  }
}
