/**
 * The worker side of an instance host: it imports jco's glue, instantiates components synchronously
 * from modules compiled in the main thread, each inside its own sandbox, and runs calls. A guest call
 * blocks this thread's event loop, so one worker runs one call at a time; the main thread enforces
 * time limits by terminating the worker.
 *
 * A worker serves one component. For stateless calls it is given the component once (`setup`) and a
 * sandbox whenever that changes (with a `fresh-call`); every call runs on a fresh instance, disposed after it, and the next
 * one is instantiated as soon as the reply is posted, while the worker would otherwise be idle. An
 * instance made for an older sandbox is never used.
 */
import { pathToFileURL } from 'node:url';
import { parentPort } from 'node:worker_threads';
import { poisonsInstance, RuntimeError } from '../RuntimeError.ts';
import { createSandbox, type Sandbox } from '../sandbox/index.ts';
import type { CapturedOutput, Denial, ExportedFunction, JsonObject, SandboxSpec } from '../types.ts';
import { argsToGuest, errorPayloadToJson, resultToJson } from '../wit/index.ts';
import { type Invoker, resolveInvoker } from './exportInvoker.ts';
import { ObjectHandleTable } from './handleTable.ts';
import type { ComponentPayload, VersionedSandbox, WorkerReply, WorkerRequest } from './protocol.ts';
import { isComponentError, toWireError } from './wireError.ts';

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
  sandbox: Sandbox;
  handles: ObjectHandleTable;
}

const glues = new Map<string, Promise<Glue>>();
const instances = new Map<number, LiveInstance>();

/** The component this worker serves (given with its first `instantiate` or `fresh-call`). */
let component: ComponentPayload | undefined;
/** Each exported function's callable, resolved on first use (see exportInvoker.ts). */
const invokers = new Map<number, Invoker>();
/** The sandbox of stateless calls, as last given. */
let freshSandbox: VersionedSandbox | undefined;
/** The next stateless instance, made after the last call for the sandbox version it names. */
let warm: Promise<{ instance: LiveInstance; version: number } | undefined> | undefined;

function loadGlue(gluePath: string): Promise<Glue> {
  let glue = glues.get(gluePath);
  if (!glue) {
    glue = import(pathToFileURL(gluePath).href) as Promise<Glue>;
    glues.set(gluePath, glue);
  }
  return glue;
}

function serve(payload: ComponentPayload): void {
  if (component !== payload) invokers.clear();
  component = payload;
}

async function instantiate(payload: ComponentPayload, sandboxSpec: SandboxSpec): Promise<LiveInstance> {
  const glue = await loadGlue(payload.gluePath);
  const sandbox = createSandbox(sandboxSpec, payload.imports);
  try {
    const result = glue.instantiate(
      (name) => {
        const module = payload.modules[name];
        if (!module)
          throw new RuntimeError('invalid-component', `the glue asked for a missing core module ${name}`);
        return module;
      },
      sandbox.imports,
      (module, imports) => new WebAssembly.Instance(module, imports),
    );
    // Synchronous core instantiation makes jco's instantiate return its exports directly.
    const exports = (result instanceof Promise ? await result : result) as Record<string, unknown>;
    return { exports, sandbox, handles: new ObjectHandleTable() };
  } catch (error) {
    sandbox.dispose();
    throw error;
  }
}

/** Calls `fn` (index `index`) on `instance`, resolving its callable on the first call only. */
function invoke(instance: LiveInstance, index: number, fn: ExportedFunction, args: unknown[]): unknown {
  let invoker = invokers.get(index);
  if (!invoker) {
    invoker = resolveInvoker(instance.exports, fn);
    invokers.set(index, invoker);
  }
  return invoker(instance.exports, args);
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

function runCall(instance: LiveInstance, fnIndex: number, id: number, args: JsonObject): WorkerReply {
  const fn = component?.functions[fnIndex];
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
      returned = invoke(instance, fnIndex, fn, guestArgs);
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

/** Instantiates the next stateless instance now, unless one is there or being made. */
function prewarm(): void {
  if (warm || !component || !freshSandbox) return;
  const { version, spec } = freshSandbox;
  warm = instantiate(component, spec).then(
    (instance) => ({ instance, version }),
    // A failing instantiation is reported by the call that needs it, with that call's context.
    () => undefined,
  );
}

/** The warm instance when it was made for `version`; an instance made for another sandbox is dropped. */
async function takeWarm(version: number): Promise<LiveInstance | undefined> {
  const made = await warm;
  warm = undefined;
  if (made && made.version === version) return made.instance;
  made?.instance.sandbox.dispose();
  return undefined;
}

async function freshCall(request: Extract<WorkerRequest, { type: 'fresh-call' }>): Promise<WorkerReply> {
  const { id } = request;
  if (request.sandbox) freshSandbox = request.sandbox;
  if (!component || !freshSandbox) {
    return {
      id,
      type: 'fault',
      error: { code: 'host-error', message: 'the worker was not given its component and sandbox' },
    };
  }
  let instance = await takeWarm(freshSandbox.version);
  if (!instance) {
    try {
      instance = await instantiate(component, freshSandbox.spec);
    } catch (error) {
      return { id, type: 'fault', error: toWireError(error, undefined, 'instantiating the component') };
    }
  }
  try {
    return runCall(instance, request.fn, id, request.args);
  } finally {
    instance.sandbox.dispose();
  }
}

async function handle(request: WorkerRequest): Promise<WorkerReply> {
  const { id } = request;
  switch (request.type) {
    case 'instantiate': {
      try {
        serve(request.component);
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
      const reply = runCall(instance, request.fn, id, request.args);
      if (reply.type === 'fault' && poisonsInstance(reply.error.code)) disposeInstance(request.instanceId);
      return reply;
    }
    case 'setup': {
      serve(request.component);
      freshSandbox = request.sandbox;
      try {
        await loadGlue(request.component.gluePath);
      } catch {
        // the call that follows instantiates and reports it, with its context
      }
      return { id, type: 'done' };
    }
    case 'fresh-call':
      return freshCall(request);
    case 'dispose': {
      disposeInstance(request.instanceId);
      const made = await warm;
      warm = undefined;
      made?.instance.sandbox.dispose();
      return { id, type: 'done' };
    }
  }
}

const port = parentPort;
if (!port) throw new Error('instanceWorker.ts must run in a worker thread');
port.on('message', (request: WorkerRequest) => {
  handle(request).then(
    (reply) => {
      port.postMessage(reply);
      // The reply is on its way: the next fresh instance is made while the worker waits for a call.
      if (request.type === 'fresh-call' || request.type === 'setup') prewarm();
    },
    (error: unknown) => port.postMessage({ id: request.id, type: 'fault', error: toWireError(error) }),
  );
});
