/**
 * The main-thread side of one instance worker: it sends requests, matches replies, and enforces time
 * limits and cancellation by terminating the worker (the only safe way to stop a guest that loops or
 * blocks in WASI). A terminated worker fails every request still pending on it.
 */
import { Worker } from 'node:worker_threads';
import { RuntimeError } from '../RuntimeError.ts';
import type { WorkerReply, WorkerRequest } from './protocol.ts';

/** Every instance worker starts here: preview2-shim's helper thread made lazy, then `entry`. */
const boot = new URL('./workerBoot.mjs', import.meta.url);

type Pending = { resolve: (reply: WorkerReply) => void; reject: (error: RuntimeError) => void };

// Requests without an id: the id is assigned here.
type Unnumbered<T> = T extends unknown ? Omit<T, 'id'> : never;

/**
 * Process-wide counts, for resource tests: live instance worker threads, and the most requests ever
 * waiting on one worker at once (a worker runs its messages in order, so two calls sent to one
 * stateful instance would not overlap inside it: this is where such an overlap is visible).
 */
const stats = { live: 0, maxPending: 0 };

/** Live instance workers and the pending high-water mark (see `resetWorkerStats`). */
export function workerStats(): { live: number; maxPending: number } {
  return { ...stats };
}

/** Starts a new pending high-water mark. */
export function resetWorkerStats(): void {
  stats.maxPending = 0;
}

export class WorkerClient {
  readonly #worker: Worker;
  readonly #pending = new Map<number, Pending>();
  #nextId = 1;
  #ended: RuntimeError | undefined;

  /** `entry`: the worker host script (see entry.ts), loaded by the boot script workerBoot.mjs. */
  constructor(entry: URL) {
    this.#worker = new Worker(boot, { workerData: { main: entry.href }, stdout: true, stderr: false });
    stats.live += 1;
    // Guest code never reaches the protocol stream: whatever the worker writes to stdout is dropped here
    // (the sandbox captures guest output itself; this catches anything else).
    this.#worker.stdout.resume();
    this.#worker.unref();
    this.#worker.on('message', (reply: WorkerReply) => {
      const pending = this.#pending.get(reply.id);
      if (!pending) return;
      this.#pending.delete(reply.id);
      pending.resolve(reply);
    });
    this.#worker.on('error', (error) => {
      this.#end(
        new RuntimeError('host-error', `the instance worker crashed: ${error.message}`, { cause: error }),
      );
    });
    this.#worker.once('exit', (code) => {
      stats.live -= 1;
      this.#end(new RuntimeError('host-error', `the instance worker exited with code ${code}`));
    });
  }

  /** False once the worker was terminated or crashed. */
  get alive(): boolean {
    return this.#ended === undefined;
  }

  /** Number of requests waiting for a reply. */
  get pending(): number {
    return this.#pending.size;
  }

  /**
   * Sends a request. Past `timeoutMs` (when given) or when `signal` aborts, the worker is terminated and
   * the request fails with `timeout` or `cancelled`.
   */
  request(
    message: Unnumbered<WorkerRequest>,
    options: { timeoutMs?: number; signal?: AbortSignal; what?: string } = {},
  ): Promise<WorkerReply> {
    if (this.#ended) return Promise.reject(this.#ended);
    const id = this.#nextId++;
    const { timeoutMs, signal, what = 'the call' } = options;
    return new Promise<WorkerReply>((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      const onAbort = () => {
        this.terminate(new RuntimeError('cancelled', `${what} was cancelled; its worker was stopped`));
      };
      const settle = () => {
        if (timer) clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
      };
      this.#pending.set(id, {
        resolve: (reply) => {
          settle();
          resolve(reply);
        },
        reject: (error) => {
          settle();
          reject(error);
        },
      });
      if (timeoutMs !== undefined && Number.isFinite(timeoutMs)) {
        timer = setTimeout(() => {
          this.terminate(
            new RuntimeError('timeout', `${what} timed out after ${timeoutMs} ms; its worker was stopped`),
          );
        }, timeoutMs);
      }
      if (signal) {
        if (signal.aborted) onAbort();
        else signal.addEventListener('abort', onAbort, { once: true });
      }
      stats.maxPending = Math.max(stats.maxPending, this.#pending.size);
      if (this.#pending.has(id)) this.#worker.postMessage({ ...message, id } as WorkerRequest);
    });
  }

  /** Ends the worker; every pending request fails with `reason`. */
  terminate(reason = new RuntimeError('instance-gone', 'the instance was disposed')): Promise<void> {
    this.#end(reason);
    return this.#worker.terminate().then(() => undefined);
  }

  #end(reason: RuntimeError): void {
    if (!this.#ended) this.#ended = reason;
    for (const [id, pending] of this.#pending) {
      this.#pending.delete(id);
      pending.reject(reason);
    }
  }
}
