/**
 * A fake `ComponentRuntime` for the machine tests: every instance holds a counter (tools `increment`,
 * `get`, `add`, `trap`, `fail`), the test decides when each call resolves (`gate`), and the fake records
 * overlapping calls per instance. `increment` reads the counter when it starts and writes it when it
 * ends, so two overlapping calls on one instance give the same answer: interleaving is visible.
 */
import { RuntimeError } from '../../src/runtime/RuntimeError.ts';
import type {
  CallOptions,
  CallOutcome,
  ComponentInstance,
  ComponentRuntime,
  ComponentSource,
  Json,
  JsonObject,
  PreparedComponent,
  PrepareOptions,
  SandboxSpec,
  ToolDefinition,
} from '../../src/runtime/types.ts';

export interface CallInfo {
  instanceId: number;
  tool: string;
  args: JsonObject;
}

export interface FakeOptions {
  /** Awaited in the middle of every call; the call resolves when it settles. Default: a macrotask. */
  gate?: (info: CallInfo) => Promise<void>;
  /** Awaited by `prepare`; throwing makes the load fail. */
  prepareGate?: () => Promise<void>;
  /** Makes `instantiate` fail. */
  failInstantiate?: () => boolean;
  /** Makes `instantiate` hang until its `timeoutMs` (then `timeout`, as the worker runtime does). */
  hangInstantiate?: () => boolean;
  /** Tool names (default the counter's). */
  toolNames?: string[];
}

const emptyOutput = { stdout: '', stderr: '', truncated: false };

export function fakeTool(name: string): ToolDefinition {
  return {
    name,
    description: name,
    inputSchema: { type: 'object', properties: {} },
    outputSchema: { type: 'object' },
    function: { name, params: [] },
  };
}

export class FakeInstance implements ComponentInstance {
  count = 0;
  active = 0;
  alive = true;
  constructor(
    readonly id: number,
    readonly runtime: FakeRuntime,
    readonly sandbox: SandboxSpec,
  ) {}

  async call(tool: string, args: JsonObject, options?: CallOptions): Promise<CallOutcome> {
    if (!this.alive) throw new RuntimeError('instance-gone', 'instance is gone');
    this.active += 1;
    this.runtime.active += 1;
    this.runtime.maxOverlap = Math.max(this.runtime.maxOverlap, this.active);
    this.runtime.maxActive = Math.max(this.runtime.maxActive, this.runtime.active);
    this.runtime.started.push({ instanceId: this.id, tool, args });
    const before = this.count;
    try {
      await withSignal(
        this.runtime.options.gate?.({ instanceId: this.id, tool, args }) ?? macrotask(),
        options,
      );
      let value: Json;
      switch (tool) {
        case 'increment':
          this.count = before + 1;
          value = this.count;
          break;
        case 'add':
          this.count = before + Number(args.n);
          value = this.count;
          break;
        case 'get':
          value = this.count;
          break;
        case 'env':
          value = this.sandbox.env?.NAME ?? null;
          break;
        case 'fail':
          return { ok: false, error: 'wit-err', output: emptyOutput, durationMs: 0 };
        case 'bad-arg':
          throw new RuntimeError('invalid-argument', 'argument "n" is not a u32');
        case 'trap':
          this.alive = false;
          throw new RuntimeError('trap', 'wasm trap: unreachable');
        default:
          throw new RuntimeError('unknown-tool', `no tool ${tool}`);
      }
      return { ok: true, value, output: emptyOutput, durationMs: 0 };
    } catch (error) {
      if (error instanceof RuntimeError && error.poisonsInstance) this.alive = false;
      throw error;
    } finally {
      this.active -= 1;
      this.runtime.active -= 1;
    }
  }

  async dispose(): Promise<void> {
    this.runtime.disposed.add(this.id);
    this.alive = false;
  }
}

function macrotask(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

function withSignal(gate: Promise<void>, options?: CallOptions): Promise<void> {
  const signal = options?.signal;
  if (!signal) return gate;
  return new Promise((resolve, reject) => {
    const onAbort = () => reject(new RuntimeError('cancelled', 'call cancelled'));
    if (signal.aborted) return onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    gate.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

export class FakePrepared implements PreparedComponent {
  readonly sha256 = 'fake';
  readonly types = { functions: [], imports: [] };
  readonly tools: ToolDefinition[];
  disposed = false;
  constructor(readonly runtime: FakeRuntime) {
    this.tools = (
      runtime.options.toolNames ?? ['increment', 'get', 'add', 'trap', 'fail', 'bad-arg', 'env']
    ).map(fakeTool);
  }

  async instantiate(sandbox: SandboxSpec, options: CallOptions = {}): Promise<FakeInstance> {
    this.runtime.instantiated.push({ sandbox, options });
    await macrotask();
    if (this.runtime.options.failInstantiate?.()) throw new RuntimeError('trap', 'init trapped');
    if (this.runtime.options.hangInstantiate?.()) {
      await withSignal(
        new Promise<void>((_, reject) => {
          if (options.timeoutMs === undefined) return; // hangs for ever
          setTimeout(
            () =>
              reject(new RuntimeError('timeout', `instantiation timed out after ${options.timeoutMs} ms`)),
            options.timeoutMs,
          );
        }),
        options,
      );
    }
    const instance = new FakeInstance(++this.runtime.nextInstanceId, this.runtime, sandbox);
    this.runtime.instances.push(instance);
    return instance;
  }

  async callOnce(
    tool: string,
    args: JsonObject,
    sandbox: SandboxSpec,
    options?: CallOptions,
  ): Promise<CallOutcome> {
    const instance = await this.instantiate(sandbox);
    try {
      return await instance.call(tool, args, options);
    } finally {
      await instance.dispose();
    }
  }

  async dispose(): Promise<void> {
    this.disposed = true;
  }
}

export class FakeRuntime implements ComponentRuntime {
  nextInstanceId = 0;
  instances: FakeInstance[] = [];
  prepared: FakePrepared[] = [];
  disposed = new Set<number>();
  started: CallInfo[] = [];
  /** Every `instantiate` (stateless `callOnce` included), with the sandbox and options it got. */
  instantiated: { sandbox: SandboxSpec; options: CallOptions }[] = [];
  /** Most calls ever in flight on one instance at once. */
  maxOverlap = 0;
  /** Calls in flight on any instance, and the most ever at once. */
  active = 0;
  maxActive = 0;
  constructor(readonly options: FakeOptions = {}) {}

  async prepare(_source: ComponentSource, options?: PrepareOptions): Promise<PreparedComponent> {
    await (this.options.prepareGate?.() ?? macrotask());
    if (options?.signal?.aborted) throw new RuntimeError('cancelled', 'prepare aborted');
    const prepared = new FakePrepared(this);
    this.prepared.push(prepared);
    return prepared;
  }

  /** Instances neither disposed nor poisoned. */
  liveInstances(): FakeInstance[] {
    return this.instances.filter((i) => i.alive);
  }
}

export const fakeSource: ComponentSource = { bytes: new Uint8Array(), name: 'fake' };
