/**
 * At most `max` loads prepare at once; the others wait their turn, in order. A restart starts the load
 * of every stored component at the same moment (their tools are listed from metadata at once anyway):
 * all of them reading, transpiling and compiling together only made each one finish later, and the
 * server's first calls with them.
 */
import { RuntimeError } from '../RuntimeError.ts';

/** Runs async work at most `max` at a time. */
export interface LoadLimiter {
  /** Runs `work` when a slot is free; aborting `signal` while it waits rejects with `cancelled`. */
  run<T>(work: () => Promise<T>, signal?: AbortSignal): Promise<T>;
  /** Loads running now, and waiting. */
  readonly running: number;
  readonly waiting: number;
}

/** A limiter of `max` (at least 1) loads at once. */
export function loadLimiter(max: number): LoadLimiter {
  const slots = Math.max(1, Math.floor(max));
  const queue: (() => void)[] = [];
  let running = 0;
  const release = () => {
    running -= 1;
    queue.shift()?.();
  };
  return {
    get running() {
      return running;
    },
    get waiting() {
      return queue.length;
    },
    run<T>(work: () => Promise<T>, signal?: AbortSignal): Promise<T> {
      const start = (): Promise<T> => {
        running += 1;
        return Promise.resolve().then(work).finally(release);
      };
      if (running < slots && queue.length === 0) return start();
      return new Promise<T>((resolve, reject) => {
        const turn = () => {
          signal?.removeEventListener('abort', onAbort);
          start().then(resolve, reject);
        };
        const onAbort = () => {
          const at = queue.indexOf(turn);
          if (at >= 0) queue.splice(at, 1);
          reject(new RuntimeError('cancelled', 'loading the component was cancelled'));
        };
        if (signal?.aborted) return onAbort();
        signal?.addEventListener('abort', onAbort, { once: true });
        queue.push(turn);
      });
    },
  };
}
