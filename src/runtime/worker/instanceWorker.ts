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
/** Glues already loaded, by path: instantiating from one needs no promise. */
const loadedGlues = new Map<string, Glue>();
const instances = new Map<number, LiveInstance>();

/** The component this worker serves (given with its first `instantiate` or `setup`). */
let component: ComponentPayload | undefined;
/** Each exported function's callable, resolved on first use (see exportInvoker.ts). */
const invokers = new Map<number, Invoker>();
/** The sandbox of stateless calls, as last given. */
let freshSandbox: VersionedSandbox | undefined;
/** The next stateless instance, made after the last call for the sandbox version it names. */
let warm: { instance: LiveInstance; version: number } | undefined;

function loadGlue(gluePath: string): Promise<Glue> {
  let glue = glues.get(gluePath);
  if (!glue) {
    glue = import(pathToFileURL(gluePath).href) as Promise<Glue>;
    glue.then(
      (loaded) => loadedGlues.set(gluePath, loaded),
      () => {},
    );
    glues.set(gluePath, glue);
  }
  return glue;
}

function serve(payload: ComponentPayload): void {
  if (component !== payload) invokers.clear();
  component = payload;
}

/**
 * Instantiates synchronously from a loaded glue: jco's `instantiate` returns the exports directly when
 * core instantiation is synchronous (a promise only if the glue asks for asynchronous work).
 */
function instantiateWith(
  glue: Glue,
  payload: ComponentPayload,
  sandboxSpec: SandboxSpec,
): LiveInstance | Promise<LiveInstance> {
  const sandbox = createSandbox(sandboxSpec, payload.imports);
  const made = (exports: unknown): LiveInstance => ({
    exports: exports as Record<string, unknown>,
    sandbox,
    handles: new ObjectHandleTable(),
  });
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
    if (!(result instanceof Promise)) return made(result);
    return result.then(made, (error: unknown) => {
      sandbox.dispose();
      throw error;
    });
  } catch (error) {
    sandbox.dispose();
    throw error;
  }
}

async function instantiate(payload: ComponentPayload, sandboxSpec: SandboxSpec): Promise<LiveInstance> {
  return instantiateWith(await loadGlue(payload.gluePath), payload, sandboxSpec);
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

/**
 * Instantiates the next stateless instance now, unless one is there. A failing instantiation is left
 * to the call that needs it, which reports it with its own context.
 */
function prewarm(): void {
  if (warm || !component || !freshSandbox) return;
  const glue = loadedGlues.get(component.gluePath);
  if (!glue) return;
  const { version, spec } = freshSandbox;
  try {
    const made = instantiateWith(glue, component, spec);
    if (!(made instanceof Promise)) warm = { instance: made, version };
    else {
      // Asynchronous instantiation (the glue awaited something): kept if still wanted when it is done.
      made.then(
        (instance) => {
          if (warm || freshSandbox?.version !== version) instance.sandbox.dispose();
          else warm = { instance, version };
        },
        () => {},
      );
    }
  } catch {
    // reported by the next call
  }
}

/** The warm instance when it was made for `version`; an instance made for another sandbox is dropped. */
function takeWarm(version: number): LiveInstance | undefined {
  const made = warm;
  warm = undefined;
  if (made && made.version === version) return made.instance;
  made?.instance.sandbox.dispose();
  return undefined;
}

function dropWarm(): void {
  warm?.instance.sandbox.dispose();
  warm = undefined;
}

/**
 * One call on a fresh instance: the warm one when it fits, else one made now. Returns the reply and the
 * instance to dispose once the reply is posted (none when the call could not start).
 */
function freshCall(
  request: Extract<WorkerRequest, { type: 'fresh-call' }>,
): { reply: WorkerReply; used?: LiveInstance } | Promise<{ reply: WorkerReply; used?: LiveInstance }> {
  const { id } = request;
  if (request.sandbox) freshSandbox = request.sandbox;
  if (!component || !freshSandbox) {
    return {
      reply: {
        id,
        type: 'fault',
        error: { code: 'host-error', message: 'the worker was not given its component and sandbox' },
      },
    };
  }
  const fault = (error: unknown) => ({
    reply: {
      id,
      type: 'fault' as const,
      error: toWireError(error, undefined, 'instantiating the component'),
    },
  });
  const run = (instance: LiveInstance) => ({
    reply: runCall(instance, request.fn, id, request.args),
    used: instance,
  });
  const instance = takeWarm(freshSandbox.version);
  if (instance) return run(instance);
  const glue = loadedGlues.get(component.gluePath);
  try {
    const made = glue
      ? instantiateWith(glue, component, freshSandbox.spec)
      : instantiate(component, freshSandbox.spec);
    return made instanceof Promise ? made.then(run, fault) : run(made);
  } catch (error) {
    return fault(error);
  }
}

async function handle(
  request: Exclude<WorkerRequest, { type: 'fresh-call' | 'call' }>,
): Promise<WorkerReply> {
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
    case 'dispose': {
      disposeInstance(request.instanceId);
      dropWarm();
      return { id, type: 'done' };
    }
  }
}

/** A call on a live (stateful) instance; synchronous, like the guest. */
function instanceCall(request: Extract<WorkerRequest, { type: 'call' }>): WorkerReply {
  const instance = instances.get(request.instanceId);
  if (!instance) {
    return {
      id: request.id,
      type: 'fault',
      error: { code: 'instance-gone', message: 'the instance no longer exists' },
    };
  }
  const reply = runCall(instance, request.fn, request.id, request.args);
  if (reply.type === 'fault' && poisonsInstance(reply.error.code)) disposeInstance(request.instanceId);
  return reply;
}

const port = parentPort;
if (!port) throw new Error('instanceWorker.ts must run in a worker thread');

/**
 * After a fresh call's reply is posted: the instance it used is disposed (what the guest opened is
 * closed), then the next one is made while the worker waits for a call.
 */
function afterFreshCall({ reply, used }: { reply: WorkerReply; used?: LiveInstance }): void {
  port?.postMessage(reply);
  used?.sandbox.dispose();
  prewarm();
}

const failed = (id: number, error: unknown) =>
  port.postMessage({ id, type: 'fault', error: toWireError(error) });

port.on('message', (request: WorkerRequest) => {
  // Calls are answered in the same turn when they can be (no promise between the message and the reply).
  try {
    if (request.type === 'call') {
      port.postMessage(instanceCall(request));
      return;
    }
    if (request.type === 'fresh-call') {
      const done = freshCall(request);
      if (done instanceof Promise) done.then(afterFreshCall, (error: unknown) => failed(request.id, error));
      else afterFreshCall(done);
      return;
    }
  } catch (error) {
    failed(request.id, error);
    return;
  }
  handle(request).then(
    (reply) => {
      port.postMessage(reply);
      if (request.type === 'setup') prewarm();
    },
    (error: unknown) => failed(request.id, error),
  );
});
