/**
 * A prepared component whose instances live in worker threads: a stateful instance owns one worker;
 * stateless calls share a pool of workers that each hold the component and a warm instance
 * (worker/StatelessPool.ts).
 *
 * While no worker of it is alive (its stateless workers were ended after --worker-idle and it has no
 * stateful instance), it keeps no compiled modules: V8 keeps a copy of a module's bytes and the
 * metadata of its compiled code for as long as the module lives (11.4 MiB for a 12 MiB JS component).
 * The next worker gets them compiled again from the transpile cache entry its glue is in (where the
 * core modules are, beside the glue), capped as at load.
 */
import { readFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { dirname, join } from 'node:path';
import { RuntimeError } from '../RuntimeError.ts';
import type {
  CallOptions,
  CallOutcome,
  ComponentInstance,
  ComponentTypes,
  Denial,
  JsonObject,
  PreparedComponent,
  SandboxSpec,
  ToolDefinition,
} from '../types.ts';
import {
  type ComponentPayload,
  defaultWorkerIdleMs,
  releaseMemory,
  StatelessPool,
  WorkerClient,
  type WorkerReply,
} from '../worker/index.ts';
import { compileCoreModules } from './memoryLimit.ts';

/** Default time limit of one call, in ms. */
export const defaultTimeoutMs = 30_000;

/** The sandbox's refusals of a call, when it made some (host-written, see `Denial`). */
function denials(reply: { denials?: Denial[] }): { denials?: Denial[] } {
  return reply.denials ? { denials: reply.denials } : {};
}

function toOutcome(reply: WorkerReply): CallOutcome {
  switch (reply.type) {
    case 'value':
      return {
        ok: true,
        value: reply.value,
        output: reply.output,
        durationMs: reply.durationMs,
        ...denials(reply),
      };
    case 'err':
      return {
        ok: false,
        error: reply.error,
        output: reply.output,
        durationMs: reply.durationMs,
        ...denials(reply),
      };
    case 'fault': {
      const { code, message, ...rest } = reply.error;
      throw new RuntimeError(code, message, rest);
    }
    case 'done':
      throw new RuntimeError('host-error', 'the worker answered a call without a result');
  }
}

export class WorkerComponent implements PreparedComponent {
  readonly #all = new Set<WorkerClient>();
  readonly #functionIndex = new Map<string, number>();
  readonly #pool: StatelessPool;
  readonly #moduleNames: string[];
  /** What is kept of the payload while its modules are released. */
  readonly #base: Omit<ComponentPayload, 'modules'>;
  /** The component with its compiled modules; undefined while released (see the file's comment). */
  #payload: ComponentPayload | undefined;
  #compiling: Promise<ComponentPayload> | undefined;
  #disposed = false;

  /**
   * `memoryCap`: the cap the modules were compiled with (see memoryLimit.ts); given, the modules are
   * released while no worker is alive and compiled again from the glue's cache entry when needed.
   */
  constructor(
    readonly sha256: string,
    readonly types: ComponentTypes,
    readonly tools: ToolDefinition[],
    payload: ComponentPayload,
    readonly entry: URL,
    workerIdleMs = defaultWorkerIdleMs,
    readonly memoryCap?: number,
  ) {
    // A map, not indexOf per tool: that is quadratic, and 10,000 exports took ~100 ms of main thread.
    const indexOf = new Map(types.functions.map((fn, index) => [fn, index]));
    for (const tool of tools) this.#functionIndex.set(tool.name, indexOf.get(tool.function) ?? -1);
    this.#payload = payload;
    const { modules, ...base } = payload;
    this.#base = base;
    this.#moduleNames = Object.keys(modules);
    this.#pool = new StatelessPool({
      payload: () => this.compiled(),
      spawn: () => this.spawn(),
      forget: (worker) => this.forget(worker),
      maxIdle: availableParallelism(),
      idleMs: workerIdleMs,
      onEmpty: () => this.#release(),
    });
  }

  /** True while the compiled modules are kept (for tests and the inspector). */
  get holdsModules(): boolean {
    return this.#payload !== undefined;
  }

  /** The component with compiled modules: kept, or compiled again after a release. */
  compiled(): Promise<ComponentPayload> {
    if (this.#payload) return Promise.resolve(this.#payload);
    this.#compiling ??= this.#recompile().finally(() => {
      this.#compiling = undefined;
    });
    return this.#compiling;
  }

  async #recompile(): Promise<ComponentPayload> {
    const { gluePath } = this.#base;
    const files: Record<string, Uint8Array> = {};
    for (const name of this.#moduleNames) {
      const path = join(dirname(gluePath), name);
      try {
        files[name] = await readFile(path);
      } catch (cause) {
        throw new RuntimeError(
          'host-error',
          `cannot read the component's cached core module ${path} again (${(cause as Error).message}); ` +
            'load the component again',
          { cause },
        );
      }
    }
    const modules = await compileCoreModules(files, this.memoryCap as number);
    const payload = { ...this.#base, modules };
    if (!this.#disposed) this.#payload = payload;
    return payload;
  }

  /** No worker alive: the compiled modules are let go (when they can be compiled again), and the memory. */
  #release(): void {
    if (this.#all.size === 0 && this.memoryCap !== undefined && this.#compiling === undefined) {
      this.#payload = undefined;
    }
    releaseMemory();
  }

  /** Idle stateless workers (each with a warm instance). */
  get idleWorkers(): number {
    return this.#pool.idle;
  }

  /** Index of the function behind a tool name, or an `unknown-tool` error that lists the tools. */
  functionIndex(tool: string): number {
    const index = this.#functionIndex.get(tool);
    if (index === undefined) {
      const names = this.tools.map((t) => t.name).join(', ');
      throw new RuntimeError(
        'unknown-tool',
        `the component has no tool named "${tool}"; its tools are: ${names}`,
      );
    }
    return index;
  }

  spawn(): WorkerClient {
    if (this.#disposed) throw new RuntimeError('instance-gone', 'the component was disposed');
    const worker = new WorkerClient(this.entry);
    this.#all.add(worker);
    return worker;
  }

  forget(worker: WorkerClient): void {
    this.#all.delete(worker);
  }

  async instantiate(sandbox: SandboxSpec, options: CallOptions = {}): Promise<ComponentInstance> {
    const worker = this.spawn();
    try {
      const component = await this.compiled();
      const reply = await worker.request(
        { type: 'instantiate', instanceId: 1, component, sandbox },
        { timeoutMs: options.timeoutMs ?? defaultTimeoutMs, signal: options.signal, what: 'instantiation' },
      );
      if (reply.type === 'fault') toOutcome(reply);
    } catch (error) {
      this.forget(worker);
      await worker.terminate();
      throw error;
    }
    return new WorkerInstance(this, worker);
  }

  async callOnce(
    tool: string,
    args: JsonObject,
    sandbox: SandboxSpec,
    options: CallOptions = {},
  ): Promise<CallOutcome> {
    const fn = this.functionIndex(tool);
    const reply = await this.#pool.call(fn, args, sandbox, {
      timeoutMs: options.timeoutMs ?? defaultTimeoutMs,
      ...(options.signal ? { signal: options.signal } : {}),
      what: `the call to ${tool}`,
    });
    return toOutcome(reply);
  }

  async dispose(): Promise<void> {
    this.#disposed = true;
    await this.#pool.close();
    const workers = [...this.#all];
    this.#all.clear();
    await Promise.all(workers.map((w) => w.terminate()));
    // Unloaded: its compiled modules and whatever its workers left can be given back.
    this.#payload = undefined;
    releaseMemory();
  }
}

class WorkerInstance implements ComponentInstance {
  #alive = true;

  constructor(
    readonly component: WorkerComponent,
    readonly worker: WorkerClient,
  ) {}

  get alive(): boolean {
    return this.#alive && this.worker.alive;
  }

  async call(tool: string, args: JsonObject, options: CallOptions = {}): Promise<CallOutcome> {
    if (!this.alive) {
      throw new RuntimeError(
        'instance-gone',
        'this instance was disposed or lost after a fault; create a new one',
      );
    }
    const fn = this.component.functionIndex(tool);
    try {
      const reply = await this.worker.request(
        { type: 'call', instanceId: 1, fn, args },
        {
          timeoutMs: options.timeoutMs ?? defaultTimeoutMs,
          signal: options.signal,
          what: `the call to ${tool}`,
        },
      );
      return toOutcome(reply);
    } catch (error) {
      if (error instanceof RuntimeError && error.poisonsInstance) await this.dispose();
      throw error;
    }
  }

  async dispose(): Promise<void> {
    if (!this.#alive) return;
    this.#alive = false;
    this.component.forget(this.worker);
    if (this.worker.alive) {
      // Let the worker close what the guest opened before it ends.
      await this.worker
        .request({ type: 'dispose', instanceId: 1 }, { timeoutMs: 1000 })
        .catch(() => undefined);
    }
    await this.worker.terminate();
  }
}
