/**
 * The worker side of an instance host: it imports jco's glue, instantiates components synchronously
 * from modules compiled in the main thread, each inside its own sandbox, and runs calls. A guest call
 * blocks this thread's event loop, so one worker runs one call at a time; the main thread enforces
 * time limits by terminating the worker.
 */
import { pathToFileURL } from 'node:url';
import { parentPort } from 'node:worker_threads';
import { poisonsInstance, RuntimeError } from '../RuntimeError.ts';
import { createSandbox, GuestExit, MissingImportError, type Sandbox } from '../sandbox/index.ts';
import type { CapturedOutput, Denial, ExportedFunction, SandboxSpec } from '../types.ts';
import { argsToGuest, errorPayloadToJson, type HandleTable, jsName, resultToJson } from '../wit/index.ts';
import type { ComponentPayload, WireError, WorkerReply, WorkerRequest } from './protocol.ts';

// Anything the glue or a library prints must not reach the protocol stream: console goes to stderr.
for (const method of ['log', 'info', 'debug', 'warn', 'error', 'trace'] as const) {
  console[method] = (...args: unknown[]) => {
    process.stderr.write(`${args.map((a) => (typeof a === 'string' ? a : String(a))).join(' ')}\n`);
  };
}

type Glue = {
  instantiate: (
    getCoreModule: (name: string) => WebAssembly.Module,
    imports: Record<string, unknown>,
    instantiateCore: (module: WebAssembly.Module, imports: WebAssembly.Imports) => WebAssembly.Instance,
  ) => unknown;
};

interface LiveInstance {
  exports: Record<string, unknown>;
  functions: ExportedFunction[];
  sandbox: Sandbox;
  handles: ObjectHandleTable;
}

const glues = new Map<string, Promise<Glue>>();
const instances = new Map<number, LiveInstance>();

/**
 * Maps guest resource objects to integer handles that JSON can carry, per instance. An `own<T>`
 * argument moves its resource into the guest (the component model's ownership transfer; jco then
 * refuses the object for good): the table forgets such a handle once the call entered the guest, and
 * remembers that it was moved, so a later use is an argument error that says so, checked before the
 * guest runs. Neither the instance nor its other handles are touched.
 */
class ObjectHandleTable implements HandleTable {
  #next = 1;
  #byHandle = new Map<number, { resource: string; value: unknown }>();
  #byValue = new Map<unknown, number>();
  /** Handles moved into the guest by earlier calls, with their resource. */
  #moved = new Map<number, string>();
  /** Handles that the call being prepared moves (committed by `commitMoves`, else dropped). */
  #moving = new Set<number>();

  toGuest(resource: string, handle: number): unknown {
    const entry = this.#byHandle.get(handle);
    if (this.#moved.get(handle) === resource && entry === undefined) {
      throw new RuntimeError(
        'invalid-argument',
        `handle ${handle} of resource "${resource}" was moved into the component by an earlier call (an own<${resource}> parameter takes the resource) and no longer exists; create a new one`,
      );
    }
    if (!entry || entry.resource !== resource) {
      throw new RuntimeError(
        'invalid-argument',
        `there is no ${resource} with handle ${handle} in this instance (handles only live in the stateful instance that made them)`,
      );
    }
    return entry.value;
  }

  move(resource: string, handle: number): unknown {
    const value = this.toGuest(resource, handle);
    if (this.#moving.has(handle)) {
      throw new RuntimeError(
        'invalid-argument',
        `handle ${handle} of resource "${resource}" is given twice; an own<${resource}> handle can be passed once`,
      );
    }
    this.#moving.add(handle);
    return value;
  }

  /** The call entered the guest: the handles it moved are gone. */
  commitMoves(): void {
    for (const handle of this.#moving) {
      const entry = this.#byHandle.get(handle);
      if (entry === undefined) continue;
      this.#byHandle.delete(handle);
      this.#byValue.delete(entry.value);
      this.#moved.set(handle, entry.resource);
    }
    this.#moving.clear();
  }

  /** The call never reached the guest: nothing was moved. */
  cancelMoves(): void {
    this.#moving.clear();
  }

  fromGuest(resource: string, value: unknown): number {
    const known = this.#byValue.get(value);
    if (known !== undefined) return known;
    const handle = this.#next++;
    this.#byHandle.set(handle, { resource, value });
    this.#byValue.set(value, handle);
    return handle;
  }
}

function loadGlue(gluePath: string): Promise<Glue> {
  let glue = glues.get(gluePath);
  if (!glue) {
    glue = import(pathToFileURL(gluePath).href) as Promise<Glue>;
    glues.set(gluePath, glue);
  }
  return glue;
}

async function instantiate(component: ComponentPayload, sandboxSpec: SandboxSpec): Promise<LiveInstance> {
  const glue = await loadGlue(component.gluePath);
  const sandbox = createSandbox(sandboxSpec, component.imports);
  try {
    const result = glue.instantiate(
      (name) => {
        const module = component.modules[name];
        if (!module)
          throw new RuntimeError('invalid-component', `the glue asked for a missing core module ${name}`);
        return module;
      },
      sandbox.imports,
      (module, imports) => new WebAssembly.Instance(module, imports),
    );
    // Synchronous core instantiation makes jco's instantiate return its exports directly.
    const exports = (result instanceof Promise ? await result : result) as Record<string, unknown>;
    return { exports, functions: component.functions, sandbox, handles: new ObjectHandleTable() };
  } catch (error) {
    sandbox.dispose();
    throw error;
  }
}

// jco's names: lowerCamelCase for functions and interfaces, UpperCamelCase for resource classes.
const camel = jsName;
const pascal = (name: string) => {
  const c = jsName(name);
  return c.charAt(0).toUpperCase() + c.slice(1);
};

function pick(holder: unknown, name: string, what: string): unknown {
  if (holder !== null && (typeof holder === 'object' || typeof holder === 'function')) {
    const record = holder as Record<string, unknown>;
    // jco escapes names that are reserved words in JS with a trailing `$`.
    for (const key of [name, `${name}$`]) if (key in record) return record[key];
  }
  throw new RuntimeError('host-error', `the component's JavaScript glue has no ${what}`);
}

/** Finds the JS callable that jco generated for an exported function. */
function invoke(instance: LiveInstance, fn: ExportedFunction, args: unknown[]): unknown {
  let base: unknown = instance.exports;
  if (fn.interface !== undefined) {
    const bare = fn.interface.replace(/@.*$/, '');
    const short = camel(bare.slice(bare.lastIndexOf('/') + 1));
    base =
      instance.exports[fn.interface] ??
      instance.exports[bare] ??
      pick(instance.exports, short, `export for interface ${fn.interface}`);
  }
  const match = /^\[(constructor|method|static)\]([^.]+)(?:\.(.+))?$/.exec(fn.name);
  if (!match) {
    const f = pick(base, camel(fn.name), `function ${fn.name}`) as (...a: unknown[]) => unknown;
    return f(...args);
  }
  const [, kind, resource = '', method = ''] = match;
  if (kind === 'method') {
    const [self, ...rest] = args;
    const f = pick(self, camel(method), `method ${method} of ${resource}`) as (...a: unknown[]) => unknown;
    return f.apply(self, rest);
  }
  const cls = pick(base, pascal(resource), `resource ${resource}`) as new (...a: unknown[]) => unknown;
  if (kind === 'constructor') return new cls(...args);
  const f = pick(cls, camel(method), `static function ${method} of ${resource}`) as (
    ...a: unknown[]
  ) => unknown;
  return f.apply(cls, args);
}

function isComponentError(error: unknown): error is { payload: unknown } {
  return (
    error instanceof Error &&
    error.constructor.name === 'ComponentError' &&
    Object.hasOwn(error as object, 'payload')
  );
}

/** Converts whatever a guest call threw into the runtime's own error shape, once, here. */
function toWireError(error: unknown, fn?: ExportedFunction, doing = 'the call'): WireError {
  const where = fn ? ` in ${fn.name}` : '';
  if (error instanceof RuntimeError) return { code: error.code, message: error.message };
  if (error instanceof GuestExit) {
    return {
      code: 'exit',
      message: `the component called exit with code ${error.exitCode}${where}`,
      exitCode: error.exitCode,
    };
  }
  if (error instanceof MissingImportError) {
    return {
      code: 'missing-import',
      message: `the component called ${error.importName}#${error.func}, an import that wasmactor does not provide`,
    };
  }
  if (error instanceof WebAssembly.RuntimeError) {
    return { code: 'trap', message: `the component trapped${where}: ${error.message}` };
  }
  if (error instanceof RangeError && /call stack/i.test(error.message)) {
    return { code: 'trap', message: `the component trapped${where}: stack overflow (${error.message})` };
  }
  return { code: 'host-error', message: `${doing} failed${where}: ${describeThrown(error)}` };
}

/** Text for any thrown value; WASI throws `{tag}` objects and strings, and a value may hold a BigInt. */
function describeThrown(error: unknown): string {
  if (error instanceof Error) return error.message;
  if (typeof error === 'string') return error;
  try {
    return JSON.stringify(error, (_key, value) => (typeof value === 'bigint' ? value.toString() : value));
  } catch {
    return String(error);
  }
}

/**
 * What the call left in its sandbox, taken so the next call starts afresh: the guest's output, and the
 * accesses the sandbox refused (host-written; present only when there were some).
 */
function taken(sandbox: Sandbox): { output: CapturedOutput; denials?: Denial[] } {
  const output = sandbox.takeOutput();
  const denials = sandbox.takeDenials();
  return denials.length === 0 ? { output } : { output, denials };
}

function runCall(
  instance: LiveInstance,
  fnIndex: number,
  id: number,
  args: Record<string, never>,
): WorkerReply {
  const fn = instance.functions[fnIndex];
  if (!fn) return { id, type: 'fault', error: { code: 'unknown-tool', message: `no function #${fnIndex}` } };
  let guestArgs: unknown[];
  try {
    guestArgs = argsToGuest(fn, args, instance.handles);
  } catch (error) {
    instance.handles.cancelMoves();
    return { id, type: 'fault', error: toWireError(error, fn) };
  }
  taken(instance.sandbox);
  const started = performance.now();
  try {
    let returned: unknown;
    try {
      returned = invoke(instance, fn, guestArgs);
    } finally {
      // Entered (returned, err or trapped): the guest owns what was moved to it.
      instance.handles.commitMoves();
    }
    const durationMs = performance.now() - started;
    const value = resultToJson(fn, returned, instance.handles);
    return { id, type: 'value', value, ...taken(instance.sandbox), durationMs };
  } catch (error) {
    const durationMs = performance.now() - started;
    const left = taken(instance.sandbox);
    if (fn.result?.kind === 'result' && isComponentError(error)) {
      const payload = errorPayloadToJson(fn, error.payload, instance.handles);
      return { id, type: 'err', error: payload, ...left, durationMs };
    }
    return { id, type: 'fault', error: { ...toWireError(error, fn), ...left } };
  }
}

function disposeInstance(instanceId: number): void {
  const instance = instances.get(instanceId);
  instances.delete(instanceId);
  instance?.sandbox.dispose();
}

async function handle(request: WorkerRequest): Promise<WorkerReply> {
  const { id } = request;
  switch (request.type) {
    case 'instantiate': {
      try {
        instances.set(request.instanceId, await instantiate(request.component, request.sandbox));
        return { id, type: 'done' };
      } catch (error) {
        return { id, type: 'fault', error: toWireError(error, undefined, 'instantiating the component') };
      }
    }
    case 'call': {
      const instance = instances.get(request.instanceId);
      if (!instance) {
        return {
          id,
          type: 'fault',
          error: { code: 'instance-gone', message: 'the instance no longer exists' },
        };
      }
      const reply = runCall(instance, request.fn, id, request.args as Record<string, never>);
      if (reply.type === 'fault' && poisonsInstance(reply.error.code)) disposeInstance(request.instanceId);
      return reply;
    }
    case 'call-once': {
      let instance: LiveInstance;
      try {
        instance = await instantiate(request.component, request.sandbox);
      } catch (error) {
        return { id, type: 'fault', error: toWireError(error, undefined, 'instantiating the component') };
      }
      try {
        return runCall(instance, request.fn, id, request.args as Record<string, never>);
      } finally {
        instance.sandbox.dispose();
      }
    }
    case 'dispose': {
      disposeInstance(request.instanceId);
      return { id, type: 'done' };
    }
  }
}

const port = parentPort;
if (!port) throw new Error('instanceWorker.ts must run in a worker thread');
port.on('message', (request: WorkerRequest) => {
  handle(request).then(
    (reply) => port.postMessage(reply),
    (error: unknown) => port.postMessage({ id: request.id, type: 'fault', error: toWireError(error) }),
  );
});
