/**
 * Gives memory back once a component's last idle stateless worker was ended. Loading a 12 MiB JS
 * component leaves ~35 MiB of large buffers (the file, the cached core module, its memory-capped copy)
 * that nothing references any more, and a worker's exit leaves its garbage too; V8 frees such buffers
 * only at a full collection, which an idle process reaches only when its memory reducer runs (tens of
 * seconds later, or never if a timer keeps waking it). So the runtime asks for one full collection
 * when the pool of a component has become empty: a moment with no call of that component in flight,
 * at most once every `minIntervalMs`.
 *
 * `gc` is V8's own function, reached in-process: `--expose-gc` set at run time and read from a new
 * context (the flag applies to contexts made after it). Nothing else changes; should it be unavailable,
 * nothing is done.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

let collect: (() => void) | null | undefined;
let last = Number.NEGATIVE_INFINITY;
let scheduled = false;

/** Collections are at least this far apart (ms). */
export const minIntervalMs = 5_000;

function collector(): (() => void) | null {
  if (collect !== undefined) return collect;
  try {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as unknown;
    collect = typeof gc === 'function' ? (gc as () => void) : null;
  } catch {
    collect = null;
  }
  return collect;
}

/**
 * Asks for one full collection soon: after the current I/O, or `minIntervalMs` after the last one.
 * Requests made meanwhile share it.
 */
export function releaseMemory(): void {
  if (scheduled) return;
  scheduled = true;
  // A timer, not a microtask: the worker's exit and its replies are handled first.
  const timer = setTimeout(
    () => {
      scheduled = false;
      last = performance.now();
      collector()?.();
    },
    Math.max(0, last + minIntervalMs - performance.now()),
  );
  // It never keeps the process alive.
  timer.unref();
}
