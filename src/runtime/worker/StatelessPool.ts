/**
 * The workers of one component's stateless calls. A worker is given the compiled component with its
 * first call only, and the sandbox only when it changed; between calls it waits in the pool with the
 * next fresh instance already made (instanceWorker.ts). A worker idle for `idleMs` is ended, the oldest
 * first (calls take the most recently used one, so the pool shrinks to what the load needs).
 */
import { RuntimeError } from '../RuntimeError.ts';
import type { JsonObject, SandboxSpec } from '../types.ts';
import type { ComponentPayload, WorkerReply } from './protocol.ts';
import { releaseMemory } from './releaseMemory.ts';
import type { WorkerClient } from './WorkerClient.ts';

/** Default time an idle stateless worker is kept (`--worker-idle`): one minute. */
export const defaultWorkerIdleMs = 60_000;

/**
 * A new worker's start (thread, worker host, the component's glue) is bounded apart from the call: it
 * takes 100-300 ms, more on a busy machine, and a call's time limit is for the call.
 */
export const workerStartTimeoutMs = 30_000;

interface Pooled {
  client: WorkerClient;
  /** The sandbox version the worker has (-1: none). */
  sandboxVersion: number;
  /** When it went back to the pool (performance.now()). */
  idleSince: number;
}

export interface StatelessPoolOptions {
  /** The component as a new worker gets it (compiled again if it was released meanwhile). */
  payload: () => Promise<ComponentPayload>;
  /** Starts a worker (the caller counts it among the component's workers). */
  spawn: () => WorkerClient;
  /** The worker ended or is ending: the caller stops counting it. */
  forget: (worker: WorkerClient) => void;
  /** Idle workers kept at most. */
  maxIdle: number;
  /** An idle worker is ended after this long (ms); 0 keeps none. */
  idleMs: number;
  /** The last idle worker was ended by the reaper, or the pool closed with idle workers (they ended). */
  onEmpty?: () => void;
}

/** Same sandbox by value: a new object with the same content keeps the warm instances. */
function sameSandbox(a: SandboxSpec, b: SandboxSpec): boolean {
  if (a === b) return true;
  const { stdin: sa, ...ra } = a;
  const { stdin: sb, ...rb } = b;
  if ((sa === undefined) !== (sb === undefined)) return false;
  if (sa && sb && (sa.length !== sb.length || sa.some((byte, i) => byte !== sb[i]))) return false;
  return JSON.stringify(ra) === JSON.stringify(rb);
}

export class StatelessPool {
  readonly #options: StatelessPoolOptions;
  /** Idle workers, the most recently used last. */
  readonly #idle: Pooled[] = [];
  #sandbox: SandboxSpec | undefined;
  #version = 0;
  #timer: NodeJS.Timeout | undefined;
  #closed = false;

  constructor(options: StatelessPoolOptions) {
    this.#options = options;
  }

  /** Idle workers now (for tests and the inspector). */
  get idle(): number {
    return this.#idle.length;
  }

  /**
   * One call on a fresh instance. The request's options are the worker client's (time limit, signal);
   * a worker that timed out or was cancelled is ended, not pooled.
   */
  async call(
    fn: number,
    args: JsonObject,
    sandbox: SandboxSpec,
    options: { timeoutMs?: number; signal?: AbortSignal; what?: string },
  ): Promise<WorkerReply> {
    if (this.#closed) throw new RuntimeError('instance-gone', 'the component was disposed');
    const version = this.#versionOf(sandbox);
    const pooled = this.#idle.pop() ?? (await this.#start(version, sandbox, options));
    const message = {
      type: 'fresh-call' as const,
      fn,
      args,
      ...(pooled.sandboxVersion === version ? {} : { sandbox: { version, spec: sandbox } }),
    };
    pooled.sandboxVersion = version;
    let healthy = false;
    try {
      const reply = await pooled.client.request(message, options);
      healthy = true;
      return reply;
    } finally {
      if (healthy) this.#release(pooled);
      else void this.#end(pooled);
    }
  }

  /** Ends every idle worker (resolves when they ended); calls in flight end theirs when they finish. */
  async close(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    const ended = this.#idle.length > 0;
    await Promise.all(this.#idle.splice(0).map((pooled) => this.#end(pooled)));
    if (ended) this.#emptied();
  }

  /** A new worker with the component and the sandbox (its first instance is made right after). */
  async #start(
    version: number,
    sandbox: SandboxSpec,
    options: { timeoutMs?: number; signal?: AbortSignal; what?: string },
  ): Promise<Pooled> {
    const pooled: Pooled = { client: this.#options.spawn(), sandboxVersion: version, idleSince: 0 };
    try {
      const component = await this.#options.payload();
      await pooled.client.request(
        { type: 'setup', component, sandbox: { version, spec: sandbox } },
        {
          timeoutMs: Math.max(options.timeoutMs ?? 0, workerStartTimeoutMs),
          ...(options.signal ? { signal: options.signal } : {}),
          what: `starting a worker for ${options.what ?? 'the call'}`,
        },
      );
    } catch (error) {
      void this.#end(pooled);
      throw error;
    }
    return pooled;
  }

  #versionOf(sandbox: SandboxSpec): number {
    if (this.#sandbox !== undefined && sameSandbox(sandbox, this.#sandbox)) {
      this.#sandbox = sandbox;
      return this.#version;
    }
    this.#sandbox = sandbox;
    this.#version += 1;
    return this.#version;
  }

  #release(pooled: Pooled): void {
    const { maxIdle, idleMs } = this.#options;
    if (this.#closed || !pooled.client.alive || this.#idle.length >= maxIdle || idleMs <= 0) {
      void this.#end(pooled);
      return;
    }
    pooled.idleSince = performance.now();
    this.#idle.push(pooled);
    this.#arm(idleMs);
  }

  #arm(delayMs: number): void {
    if (this.#timer !== undefined || !Number.isFinite(delayMs)) return;
    this.#timer = setTimeout(() => this.#reap(), Math.max(0, delayMs));
    // An idle worker never keeps the process alive.
    this.#timer.unref();
  }

  /** Ends the workers idle for `idleMs` or more, and waits for the next one to be due. */
  #reap(): void {
    this.#timer = undefined;
    const { idleMs } = this.#options;
    const now = performance.now();
    const ending: Promise<void>[] = [];
    while (this.#idle.length > 0 && now - (this.#idle[0] as Pooled).idleSince >= idleMs) {
      ending.push(this.#end(this.#idle.shift() as Pooled));
    }
    const oldest = this.#idle[0];
    if (oldest) this.#arm(oldest.idleSince + idleMs - now);
    // The last idle worker is gone: what it and the load left behind can be given back.
    else if (ending.length > 0) void Promise.all(ending).then(() => this.#emptied());
  }

  /** No idle worker left: the owner may let go of what only workers need, and memory is given back. */
  #emptied(): void {
    if (this.#idle.length > 0) return;
    if (this.#options.onEmpty) this.#options.onEmpty();
    else releaseMemory();
  }

  #end(pooled: Pooled): Promise<void> {
    this.#options.forget(pooled.client);
    const { client } = pooled;
    if (!client.alive) return Promise.resolve();
    // The warm instance is disposed first (what it opened is closed), then the thread ends.
    return client.request({ type: 'dispose', instanceId: 0 }, { timeoutMs: 1_000 }).then(
      () => client.terminate(),
      () => client.terminate(),
    );
  }
}
