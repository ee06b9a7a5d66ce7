/**
 * jco's transpile in a worker thread (transpileWorker.mjs): it is synchronous work of about half a
 * second for a 12 MiB JS component and tens of seconds for one with 10,000 exports, which on the main
 * thread would stall every other request.
 *
 * The worker is kept warm between transpiles: a new worker starts jco from nothing (its ~3.5 MB of wasm
 * compiled and tiered up again, its JS cold), which made every cold load pay ~150 ms of CPU more than a
 * warm process, and the first one of a process ~700 ms more (bench/server.bench.ts, "cold load"). One
 * idle worker is kept for `idleMs` after its last transpile, then ended (it holds jco's grown memory,
 * ~150-200 MiB after a 12 MiB component); transpiles that overlap get workers of their own, ended when
 * done. An idle worker never keeps the process alive. A worker whose transpile failed, was cancelled or
 * crashed is never reused: jco's state after a panic is not trusted.
 */
import { Worker } from 'node:worker_threads';
import { RuntimeError } from '../RuntimeError.ts';

type TranspileReply = { ok: true; files: [string, Uint8Array][] } | { ok: false; error: string };

/** The idle worker, with the timer that ends it. */
let idle: { worker: Worker; timer: NodeJS.Timeout } | undefined;

/** Workers started so far, and those not ended yet (for tests: a warm worker is reused, not started again). */
let started = 0;
let live = 0;

/** How many transpile workers this process started, how many live now, whether one is idle (tests). */
export function transpilerStats(): { started: number; live: number; idle: boolean } {
  return { started, live, idle: idle !== undefined };
}

/** The idle worker itself, for tests that end it behind the transpiler's back. */
export function idleTranspilerWorker(): Worker | undefined {
  return idle?.worker;
}

/** Ends the idle worker now (tests; a server that stops). */
export async function endIdleTranspiler(): Promise<void> {
  const kept = idle;
  idle = undefined;
  if (!kept) return;
  clearTimeout(kept.timer);
  await kept.worker.terminate();
}

function takeWorker(): Worker {
  const kept = idle;
  if (kept) {
    idle = undefined;
    clearTimeout(kept.timer);
    kept.worker.ref();
    return kept.worker;
  }
  started += 1;
  live += 1;
  // jco's output never reaches the protocol stream: the worker drops what it writes to stdout.
  const worker = new Worker(new URL('./transpileWorker.mjs', import.meta.url));
  worker.once('exit', () => {
    live -= 1;
    // An idle worker that ended on its own (killed, out of memory) is not handed the next transpile.
    if (idle?.worker === worker) {
      clearTimeout(idle.timer);
      idle = undefined;
    }
  });
  return worker;
}

/** Keeps `worker` as the idle one for `idleMs`, or ends it (one is idle already, or `idleMs` is 0). */
function giveBack(worker: Worker, idleMs: number): void {
  if (idle !== undefined || !(idleMs > 0) || !Number.isFinite(idleMs)) {
    void worker.terminate();
    return;
  }
  worker.unref();
  const timer = setTimeout(() => {
    if (idle?.worker !== worker) return;
    idle = undefined;
    void worker.terminate();
  }, idleMs);
  timer.unref();
  idle = { worker, timer };
}

/**
 * The files jco makes of `bytes` (`component.js` and the core `.wasm` files). Aborting `signal` ends
 * the worker, and the transpile with it. `idleMs`: how long the worker is kept warm afterwards.
 */
export function transpileOffThread(
  bytes: Uint8Array,
  idleMs: number,
  signal?: AbortSignal,
): Promise<Record<string, Uint8Array>> {
  if (signal?.aborted) {
    return Promise.reject(new RuntimeError('cancelled', 'loading the component was cancelled'));
  }
  const worker = takeWorker();
  let healthy = false;
  let cleanup = () => {};
  return new Promise<Record<string, Uint8Array>>((resolve, reject) => {
    const onMessage = (reply: TranspileReply) => {
      if (reply.ok) {
        healthy = true;
        resolve(Object.fromEntries(reply.files));
      } else {
        reject(
          new RuntimeError('invalid-component', `jco could not transpile the component: ${reply.error}`),
        );
      }
    };
    const onError = (cause: Error) =>
      reject(new RuntimeError('host-error', `the transpile worker crashed: ${cause.message}`, { cause }));
    const onExit = (code: number) =>
      reject(
        new RuntimeError('host-error', `the transpile worker exited with code ${code} without a result`),
      );
    const onAbort = () => reject(new RuntimeError('cancelled', 'loading the component was cancelled'));
    cleanup = () => {
      worker.off('message', onMessage);
      worker.off('error', onError);
      worker.off('exit', onExit);
      signal?.removeEventListener('abort', onAbort);
    };
    worker.once('message', onMessage);
    worker.once('error', onError);
    worker.once('exit', onExit);
    signal?.addEventListener('abort', onAbort, { once: true });
    // A copy: the caller keeps its bytes (they are hashed, stored and decoded elsewhere).
    worker.postMessage(bytes);
  }).finally(() => {
    cleanup();
    if (healthy) giveBack(worker, idleMs);
    else void worker.terminate();
  });
}
