/**
 * Turns component bytes into a `PreparedComponent`: types decoded, tools derived, glue transpiled
 * (cached on disk) and core modules compiled once. Instances then live in worker threads, which get
 * the compiled modules by message.
 */
import { availableParallelism } from 'node:os';
import { basename } from 'node:path';
import { decodeComponent } from '../decode/index.ts';
import { RuntimeError } from '../RuntimeError.ts';
import type {
  CallOptions,
  CallOutcome,
  ComponentInstance,
  ComponentSource,
  ComponentTypes,
  Denial,
  JsonObject,
  PreparedComponent,
  PrepareOptions,
  SandboxSpec,
  ToolDefinition,
} from '../types.ts';
import { toolDefinitions } from '../wit/index.ts';
import { type ComponentPayload, WorkerClient, type WorkerReply, workerEntry } from '../worker/index.ts';
import { digestibleBytes } from './digestible.ts';
import { capMemory } from './memoryLimit.ts';
import { defaultMaxComponentSize, readComponentFile } from './readBoundedFile.ts';
import { defaultCacheDir, sha256, transpileCached } from './transpileCache.ts';

const loadCancelled = () => new RuntimeError('cancelled', 'loading the component was cancelled');

/** Lets timers and I/O that are due run before the next stretch of synchronous work. */
const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Default time limit of one call, in ms. */
export const defaultTimeoutMs = 30_000;

/** Default cap on the linear memory of every instance (1 GiB); see `PrepareOptions.maxMemory`. */
export const defaultMaxMemory = 2 ** 30;

/** Limits on reading a component (see `PrepareOptions.maxComponentSize`). */
export interface ReadOptions {
  /** Largest component accepted, in bytes (default 256 MiB). */
  maxComponentSize?: number;
}

/**
 * Reads a component's bytes, bounded (see readComponentFile.ts): only a regular file, no larger than
 * `maxComponentSize`, starting with a component header. Errors say what is wrong with the path, never
 * what the file contains.
 */
export async function readComponentSource(
  source: ComponentSource,
  options: ReadOptions = {},
): Promise<{ bytes: Uint8Array; name: string }> {
  const maxSize = options.maxComponentSize ?? defaultMaxComponentSize;
  if ('bytes' in source) {
    const name = source.name ?? 'component';
    if (source.bytes.length > maxSize) {
      throw new RuntimeError(
        'too-large',
        `${name}: the component is ${source.bytes.length} bytes, larger than the limit of ${maxSize} bytes ` +
          '(raise it with --max-component-size)',
      );
    }
    return { bytes: source.bytes, name };
  }
  return { bytes: await readComponentFile(source.path, maxSize), name: basename(source.path) };
}

/**
 * Reads a component and decodes its types; a decoding error names the file it came from
 * (`/x/notes.txt: not WebAssembly: ...`).
 */
export async function readComponentTypes(
  source: ComponentSource,
  options: ReadOptions = {},
): Promise<{ bytes: Uint8Array; types: ComponentTypes }> {
  const { bytes, name } = await readComponentSource(source, options);
  try {
    return { bytes, types: decodeComponent(bytes) };
  } catch (error) {
    if (!(error instanceof RuntimeError)) throw error;
    const where = 'path' in source ? source.path : name;
    throw new RuntimeError(error.code, `${where}: ${error.message}`, { cause: error });
  }
}

/** Prepares a component for instantiation. See `PreparedComponent`. */
export async function prepareComponent(
  source: ComponentSource,
  options: PrepareOptions = {},
): Promise<PreparedComponent> {
  const { onProgress, signal } = options;
  const total = 3;
  const { bytes, types } = await readComponentTypes(source, options);
  // Decoding and deriving tools are synchronous (about 250 ms each for 10,000 exports): let other
  // requests in between them.
  await yieldToEventLoop();
  const tools = toolDefinitions(types);
  await yieldToEventLoop();
  if (signal?.aborted) throw loadCancelled();
  onProgress?.({ message: 'transpiling the component', progress: 1, total });
  const hash = sha256(bytes);
  // What jco reads: the same component without the custom sections it cannot digest (digestible.ts).
  const digestible = digestibleBytes(bytes);
  const transpileKey = digestible === bytes ? hash : sha256(digestible);
  const transpiled = await transpileCached(
    digestible,
    transpileKey,
    options.cacheDir ?? defaultCacheDir(),
    signal,
  );
  if (signal?.aborted) throw loadCancelled();
  onProgress?.({ message: 'compiling core modules', progress: 2, total });
  const modules: Record<string, WebAssembly.Module> = {};
  // Every instance is capped: the policy's limit, else the server's, else 1 GiB.
  const memoryCap = options.memoryLimit ?? options.maxMemory ?? defaultMaxMemory;
  for (const [name, content] of Object.entries(transpiled.coreFiles)) {
    try {
      const core = capMemory(content, memoryCap);
      modules[name] = await WebAssembly.compile(core as Uint8Array<ArrayBuffer>);
    } catch (cause) {
      if (cause instanceof RuntimeError) throw cause;
      throw new RuntimeError(
        'invalid-component',
        `a core module of the component does not compile: ${cause}`,
        {
          cause,
        },
      );
    }
  }
  onProgress?.({ message: 'ready', progress: 3, total });
  const payload: ComponentPayload = {
    gluePath: transpiled.gluePath,
    modules,
    functions: types.functions,
    imports: types.imports,
  };
  return new WorkerComponent(hash, types, tools, payload, await workerEntry());
}

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

class WorkerComponent implements PreparedComponent {
  /** Idle workers for stateless calls: the glue is already imported in them. */
  readonly #idle: WorkerClient[] = [];
  readonly #all = new Set<WorkerClient>();
  readonly #functionIndex = new Map<string, number>();
  #disposed = false;

  constructor(
    readonly sha256: string,
    readonly types: ComponentTypes,
    readonly tools: ToolDefinition[],
    readonly payload: ComponentPayload,
    readonly entry: URL,
  ) {
    // A map, not indexOf per tool: that is quadratic, and 10,000 exports took ~100 ms of main thread.
    const indexOf = new Map(types.functions.map((fn, index) => [fn, index]));
    for (const tool of tools) this.#functionIndex.set(tool.name, indexOf.get(tool.function) ?? -1);
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
      const reply = await worker.request(
        { type: 'instantiate', instanceId: 1, component: this.payload, sandbox },
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
    const worker = this.#idle.pop() ?? this.spawn();
    let healthy = false;
    try {
      const reply = await worker.request(
        { type: 'call-once', component: this.payload, sandbox, fn, args },
        {
          timeoutMs: options.timeoutMs ?? defaultTimeoutMs,
          signal: options.signal,
          what: `the call to ${tool}`,
        },
      );
      healthy = true;
      return toOutcome(reply);
    } finally {
      if (healthy && worker.alive && !this.#disposed && this.#idle.length < availableParallelism()) {
        this.#idle.push(worker);
      } else {
        this.forget(worker);
        void worker.terminate();
      }
    }
  }

  async dispose(): Promise<void> {
    this.#disposed = true;
    this.#idle.length = 0;
    const workers = [...this.#all];
    this.#all.clear();
    await Promise.all(workers.map((w) => w.terminate()));
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
