/**
 * The component actor: the lifecycle of one loaded component (`unloaded -> loading -> idle <-> busy ->
 * unloading -> unloaded`), its FIFO call queue, and for a stateful component the one live instance that
 * serves its calls strictly one at a time.
 *
 * Decisions (see DESIGN.md for the contract):
 * - Every state handles every event: CALL is served, queued or rejected, never dropped.
 * - Stateful: the instance is created while loading (an initialisation failure is a load error). Calls
 *   run one at a time in arrival order (`canStartCall`). A fault (a `RuntimeError` whose
 *   `poisonsInstance` is true, or anything that is not a `RuntimeError`) discards the instance; the
 *   caller gets `state-lost` ("... the component's state was lost; the next call starts a fresh
 *   instance"), `restarts` is incremented and the next call instantiates a fresh instance first.
 *   A WIT `err` (`CallOutcome.ok === false`) is a normal reply.
 * - Stateless: every call runs on a fresh instance (`callOnce`), up to `concurrency` at once.
 * - Cancel: a queued call is removed from the queue. In flight, a stateless call is killed (its actor is
 *   stopped, which aborts the signal given to the runtime); a stateful call is allowed to finish (the
 *   state stays consistent and serialization is never broken), its reply is dropped and the caller's
 *   promise rejects with `cancelled` at once.
 * - UNLOAD: queued calls are rejected with "component <id> was unloaded"; calls in flight finish and are
 *   answered; then the instance and the prepared component (with its workers) are disposed.
 * - LOAD or RELOAD while loaded = reload: unload (calls in flight finish), then load a new generation
 *   with a brand-new instance. Calls queued at the time of a reload are kept and served by the new
 *   generation; no state is ever carried over.
 */
import { assign, enqueueActions, fromPromise, setup } from 'xstate';
import {
  type CallOutcome,
  type ComponentInstance,
  type ComponentRuntime,
  type ComponentSource,
  type JsonObject,
  type PreparedComponent,
  type PrepareOptions,
  RuntimeError,
  type SandboxSpec,
  type ToolDefinition,
} from '../runtime/index.ts';
import type { Deferred } from './deferred.ts';
import { MachineError } from './MachineError.ts';

/** What to load and how to run it. */
export interface LoadSpec {
  source: ComponentSource;
  stateful: boolean;
  sandbox: SandboxSpec;
  /** Per-call time limit handed to the runtime. */
  timeoutMs: number;
  /** Stateless in-flight limit (a stateful component always serves one call at a time). */
  concurrency: number;
  onProgress?: PrepareOptions['onProgress'];
}

/** What a finished load reports. */
export interface LoadReply {
  tools: ToolDefinition[];
  generation: number;
}

/** A call waiting in the queue or in flight. */
export interface PendingCall {
  callId: string;
  tool: string;
  args: JsonObject;
  reply: Deferred<CallOutcome>;
  /** Set when a stateful call in flight was cancelled: it runs to its end, its reply is dropped. */
  cancelled?: boolean;
}

/** How a call actor ended, sent back to the component actor as `CALL.SETTLED`. */
export type CallResult =
  | { ok: true; outcome: CallOutcome; durationMs: number; instance?: ComponentInstance }
  | { ok: false; error: unknown; durationMs: number; instance?: ComponentInstance };

export type ComponentEvent =
  | { type: 'LOAD'; spec: LoadSpec; reply?: Deferred<LoadReply> }
  | { type: 'RELOAD'; reply?: Deferred<LoadReply> }
  | { type: 'CALL'; callId: string; tool: string; args: JsonObject; reply: Deferred<CallOutcome> }
  | { type: 'CANCEL'; callId: string }
  | { type: 'UNLOAD'; reply?: Deferred<void> }
  | { type: 'UPDATE_SANDBOX'; sandbox: SandboxSpec }
  | { type: 'CALL.SETTLED'; callId: string; generation: number; result: CallResult };

export interface ComponentInput {
  id: string;
  runtime: ComponentRuntime;
  prepareOptions?: PrepareOptions;
  /** Starts loading at once. */
  load?: { spec: LoadSpec; reply?: Deferred<LoadReply> };
}

export interface ComponentContext {
  id: string;
  runtime: ComponentRuntime;
  prepareOptions: PrepareOptions;
  /** The spec of the current (or last) generation. */
  spec?: LoadSpec;
  /** A load that waits for the current generation to be unloaded (a reload), or for `unloaded`. */
  pendingLoad?: LoadSpec;
  /** Incremented by every load. */
  generation: number;
  /** Fresh instances started after a fault of a stateful instance. */
  restarts: number;
  prepared?: PreparedComponent;
  /** The live instance of a stateful component (undefined after a fault until the next call). */
  instance?: ComponentInstance;
  tools: ToolDefinition[];
  queue: PendingCall[];
  inFlight: PendingCall[];
  loadWaiters: Deferred<LoadReply>[];
  unloadWaiters: Deferred<void>[];
  served: number;
  failed: number;
  queueHighWater: number;
  lastCallMs?: number;
  lastError?: string;
}

/** Anything that accepts the component's events (the component actor itself, seen from a call actor). */
interface EventTarget {
  send(event: ComponentEvent): void;
}

interface CallInput {
  parent: EventTarget;
  generation: number;
  call: { callId: string; tool: string; args: JsonObject };
  stateful: boolean;
  prepared: PreparedComponent;
  instance?: ComponentInstance;
  sandbox: SandboxSpec;
  timeoutMs: number;
}

/** Prepares the component; a stateful one is also instantiated, so a failing init is a load error. */
const loadComponent = fromPromise<
  { prepared: PreparedComponent; instance?: ComponentInstance },
  { runtime: ComponentRuntime; spec: LoadSpec; prepareOptions: PrepareOptions }
>(async ({ input, signal }) => {
  const { runtime, spec, prepareOptions } = input;
  const prepared = await runtime.prepare(spec.source, {
    ...prepareOptions,
    ...(spec.onProgress ? { onProgress: spec.onProgress } : {}),
    // The cap is compiled into the core modules: a changed limit applies from the next (re)load.
    ...(spec.sandbox.memoryLimit ? { memoryLimit: spec.sandbox.memoryLimit } : {}),
    signal,
  });
  let instance: ComponentInstance | undefined;
  try {
    if (spec.stateful && !signal.aborted) instance = await prepared.instantiate(spec.sandbox);
  } catch (error) {
    await prepared.dispose().catch(() => {});
    throw error;
  }
  if (signal.aborted) {
    // Unloaded (or reloaded) while loading: nobody will ever see these handles.
    await instance?.dispose().catch(() => {});
    await prepared.dispose().catch(() => {});
    throw new MachineError('unloaded', 'the load was abandoned');
  }
  return instance ? { prepared, instance } : { prepared };
});

/**
 * Runs one call and reports it to the component actor. A stateful call without a live instance (after
 * a fault) instantiates a fresh one first and hands it back with the result.
 */
const runCall = fromPromise<void, CallInput>(async ({ input, signal }) => {
  const { parent, generation, call, prepared, sandbox, timeoutMs } = input;
  const started = performance.now();
  let instance = input.instance;
  let result: CallResult;
  try {
    let outcome: CallOutcome;
    if (input.stateful) {
      instance ??= await prepared.instantiate(sandbox);
      outcome = await instance.call(call.tool, call.args, { timeoutMs });
    } else {
      outcome = await prepared.callOnce(call.tool, call.args, sandbox, { timeoutMs, signal });
    }
    result = { ok: true, outcome, durationMs: performance.now() - started };
  } catch (error) {
    result = { ok: false, error, durationMs: performance.now() - started };
  }
  if (instance && instance !== input.instance) result.instance = instance;
  // A killed (stopped) call actor has nobody left to answer: the caller was answered on cancel.
  if (!signal.aborted) parent.send({ type: 'CALL.SETTLED', callId: call.callId, generation, result });
});

/** Drops a poisoned instance. */
const disposeInstance = fromPromise<void, ComponentInstance>(async ({ input }) => {
  await input.dispose().catch(() => {});
});

/** Drops the live instance and the prepared component with all its workers. */
const disposeComponent = fromPromise<void, { prepared?: PreparedComponent; instance?: ComponentInstance }>(
  async ({ input }) => {
    try {
      await input.instance?.dispose();
    } catch {
      // a broken instance must not keep the prepared component alive
    } finally {
      await input.prepared?.dispose().catch(() => {});
    }
  },
);

function unloadedError(id: string): MachineError {
  return new MachineError('unloaded', `component ${id} was unloaded`);
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Turns what a call actor caught into the error its caller sees. */
function callError(context: ComponentContext, error: unknown): { error: MachineError; poisons: boolean } {
  if (error instanceof MachineError) return { error, poisons: false };
  const poisons = !(error instanceof RuntimeError) || error.poisonsInstance;
  const message = describe(error);
  if (!poisons) return { error: new MachineError('call-failed', message, { cause: error }), poisons };
  if (context.spec?.stateful) {
    return {
      error: new MachineError(
        'state-lost',
        `component ${context.id}: ${message}; the component's state was lost; the next call starts a fresh instance`,
        { cause: error },
      ),
      poisons,
    };
  }
  return {
    error: new MachineError('fault', `component ${context.id}: ${message}`, { cause: error }),
    poisons,
  };
}

export const componentMachine = setup({
  types: {
    context: {} as ComponentContext,
    events: {} as ComponentEvent,
    input: {} as ComponentInput,
  },
  actors: { loadComponent, runCall, disposeInstance, disposeComponent },
  guards: {
    hasPendingLoad: ({ context }) => context.pendingLoad !== undefined,
    hasSpec: ({ context }) => context.spec !== undefined || context.pendingLoad !== undefined,
    hasQueuedCalls: ({ context }) => context.queue.length > 0,
    hasNoCallsInFlight: ({ context }) => context.inFlight.length === 0,
    isDrained: ({ context }) => context.queue.length === 0 && context.inFlight.length === 0,
    /** The serialization rule: one call at a time when stateful, up to `concurrency` otherwise. */
    canStartCall: ({ context }) =>
      context.queue.length > 0 &&
      (context.spec?.stateful
        ? context.inFlight.length === 0
        : context.inFlight.length < (context.spec?.concurrency ?? 1)),
  },
  actions: {
    /** A reload, or a load queued behind the current generation. */
    requestLoad: assign(({ context, event }) => {
      if (event.type !== 'LOAD' && event.type !== 'RELOAD') return {};
      const spec = event.type === 'LOAD' ? event.spec : (context.pendingLoad ?? context.spec);
      return {
        pendingLoad: spec,
        loadWaiters: event.reply ? [...context.loadWaiters, event.reply] : context.loadWaiters,
      };
    }),
    /** Entering `loading`: the pending spec becomes the new generation. */
    beginGeneration: assign(({ context }) => ({
      spec: context.pendingLoad ?? context.spec,
      pendingLoad: undefined,
      generation: context.generation + 1,
      tools: [],
    })),
    storeLoaded: assign(({ event }) => {
      const output = (
        event as unknown as { output: { prepared: PreparedComponent; instance?: ComponentInstance } }
      ).output;
      return { prepared: output.prepared, instance: output.instance, tools: output.prepared.tools };
    }),
    resolveLoadWaiters: enqueueActions(({ context, enqueue }) => {
      const reply: LoadReply = { tools: context.tools, generation: context.generation };
      for (const waiter of context.loadWaiters) waiter.resolve(reply);
      enqueue.assign({ loadWaiters: [] });
    }),
    failLoad: enqueueActions(({ context, event, enqueue }) => {
      const cause = (event as { error?: unknown }).error;
      const error = new MachineError(
        'load-failed',
        `component ${context.id} failed to load: ${describe(cause)}`,
        {
          cause,
        },
      );
      for (const waiter of context.loadWaiters) waiter.reject(error);
      for (const call of context.queue) call.reply.reject(error);
      enqueue.assign({
        loadWaiters: [],
        queue: [],
        failed: context.failed + context.queue.length,
        lastError: error.message,
      });
    }),
    /** UNLOAD: no load waits any more, queued calls are answered with the unloaded error. */
    abandonLoadsAndQueue: enqueueActions(({ context, enqueue }) => {
      const error = unloadedError(context.id);
      for (const waiter of context.loadWaiters) waiter.reject(error);
      for (const call of context.queue) call.reply.reject(error);
      enqueue.assign({
        loadWaiters: [],
        queue: [],
        pendingLoad: undefined,
        failed: context.failed + context.queue.length,
      });
    }),
    addUnloadWaiter: assign(({ context, event }) =>
      event.type === 'UNLOAD' && event.reply
        ? { unloadWaiters: [...context.unloadWaiters, event.reply] }
        : {},
    ),
    resolveUnloadWaiters: enqueueActions(({ context, enqueue }) => {
      for (const waiter of context.unloadWaiters) waiter.resolve();
      enqueue.assign({ unloadWaiters: [] });
    }),
    resolveUnloadReply: ({ event }) => {
      if (event.type === 'UNLOAD') event.reply?.resolve();
    },
    rejectReload: ({ context, event }) => {
      if (event.type === 'RELOAD') {
        event.reply?.reject(new MachineError('unloaded', `component ${context.id} has nothing to reload`));
      }
    },
    clearLoaded: assign({ prepared: undefined, instance: undefined }),
    enqueueCall: assign(({ context, event }) => {
      if (event.type !== 'CALL') return {};
      const queue = [
        ...context.queue,
        { callId: event.callId, tool: event.tool, args: event.args, reply: event.reply },
      ];
      return { queue, queueHighWater: Math.max(context.queueHighWater, queue.length) };
    }),
    rejectCall: assign(({ context, event }) => {
      if (event.type !== 'CALL') return {};
      event.reply.reject(unloadedError(context.id));
      return { failed: context.failed + 1 };
    }),
    /** Moves the head of the queue in flight and spawns its call actor. */
    startNextCall: enqueueActions(({ context, enqueue, self }) => {
      const [call, ...rest] = context.queue;
      if (!call || !context.prepared || !context.spec) return;
      enqueue.assign({ queue: rest, inFlight: [...context.inFlight, call] });
      enqueue.spawnChild('runCall', {
        id: `call:${call.callId}`,
        input: {
          parent: self as EventTarget,
          generation: context.generation,
          call: { callId: call.callId, tool: call.tool, args: call.args },
          stateful: context.spec.stateful,
          prepared: context.prepared,
          ...(context.instance ? { instance: context.instance } : {}),
          sandbox: context.spec.sandbox,
          timeoutMs: context.spec.timeoutMs,
        },
      });
    }),
    settleCall: enqueueActions(({ context, event, enqueue }) => {
      if (event.type !== 'CALL.SETTLED') return;
      const { result } = event;
      const call = context.inFlight.find((c) => c.callId === event.callId);
      const stateful = context.spec?.stateful === true;
      // A finished promise actor stays in `children` until stopped; thousands of them make every
      // snapshot slower.
      enqueue.stopChild(`call:${event.callId}`);
      if (!call || event.generation !== context.generation) {
        // Not ours any more: never let a stray fresh instance leak.
        if (result.instance) enqueue.spawnChild('disposeInstance', { input: result.instance });
        return;
      }
      const inFlight = context.inFlight.filter((c) => c !== call);
      let instance = result.instance ?? context.instance;
      if (result.ok) {
        if (!call.cancelled) call.reply.resolve(result.outcome);
        enqueue.assign({
          inFlight,
          instance,
          // A cancelled call was counted as failed when it was cancelled.
          served: context.served + (call.cancelled ? 0 : 1),
          lastCallMs: result.durationMs,
        });
        return;
      }
      const { error, poisons } = callError(context, result.error);
      if (!call.cancelled) call.reply.reject(error);
      let restarts = context.restarts;
      if (stateful && poisons) {
        if (instance) enqueue.spawnChild('disposeInstance', { input: instance });
        instance = undefined;
        restarts += 1;
      }
      enqueue.assign({
        inFlight,
        instance,
        restarts,
        failed: context.failed + (call.cancelled ? 0 : 1),
        lastCallMs: result.durationMs,
        lastError: error.message,
      });
    }),
    cancelCall: enqueueActions(({ context, event, enqueue }) => {
      if (event.type !== 'CANCEL') return;
      const error = new MachineError(
        'cancelled',
        `call ${event.callId} to component ${context.id} was cancelled`,
      );
      const queued = context.queue.find((c) => c.callId === event.callId);
      if (queued) {
        queued.reply.reject(error);
        enqueue.assign({ queue: context.queue.filter((c) => c !== queued), failed: context.failed + 1 });
        return;
      }
      const running = context.inFlight.find((c) => c.callId === event.callId && !c.cancelled);
      if (!running) return;
      running.reply.reject(error);
      if (context.spec?.stateful) {
        enqueue.assign({
          inFlight: context.inFlight.map((c) => (c === running ? { ...c, cancelled: true } : c)),
          failed: context.failed + 1,
        });
      } else {
        enqueue.stopChild(`call:${running.callId}`);
        enqueue.assign({
          inFlight: context.inFlight.filter((c) => c !== running),
          failed: context.failed + 1,
        });
      }
    }),
    /** Stateless: the next call uses the new sandbox. Stateful: it applies from the next (re)load. */
    updateSandbox: assign(({ context, event }) => {
      if (event.type !== 'UPDATE_SANDBOX') return {};
      return {
        ...(context.spec ? { spec: { ...context.spec, sandbox: event.sandbox } } : {}),
        ...(context.pendingLoad ? { pendingLoad: { ...context.pendingLoad, sandbox: event.sandbox } } : {}),
      };
    }),
  },
}).createMachine({
  id: 'component',
  initial: 'unloaded',
  context: ({ input }) => ({
    id: input.id,
    runtime: input.runtime,
    prepareOptions: input.prepareOptions ?? {},
    ...(input.load ? { pendingLoad: input.load.spec } : {}),
    generation: 0,
    restarts: 0,
    tools: [],
    queue: [],
    inFlight: [],
    loadWaiters: input.load?.reply ? [input.load.reply] : [],
    unloadWaiters: [],
    served: 0,
    failed: 0,
    queueHighWater: 0,
  }),
  on: {
    CANCEL: { actions: 'cancelCall' },
    'CALL.SETTLED': { actions: 'settleCall' },
    UPDATE_SANDBOX: { actions: 'updateSandbox' },
  },
  states: {
    unloaded: {
      always: { guard: 'hasPendingLoad', target: 'loading' },
      on: {
        LOAD: { target: 'loading', actions: 'requestLoad' },
        RELOAD: [
          { guard: 'hasSpec', target: 'loading', actions: 'requestLoad' },
          { actions: 'rejectReload' },
        ],
        CALL: { actions: 'rejectCall' },
        UNLOAD: { actions: 'resolveUnloadReply' },
      },
    },
    loading: {
      entry: 'beginGeneration',
      invoke: {
        src: 'loadComponent',
        input: ({ context }) => ({
          runtime: context.runtime,
          spec: context.spec as LoadSpec,
          prepareOptions: context.prepareOptions,
        }),
        onDone: { target: 'idle', actions: ['storeLoaded', 'resolveLoadWaiters'] },
        onError: { target: 'unloaded', actions: 'failLoad' },
      },
      on: {
        CALL: { actions: 'enqueueCall' },
        LOAD: { target: 'unloading', actions: 'requestLoad' },
        RELOAD: { target: 'unloading', actions: 'requestLoad' },
        UNLOAD: { target: 'unloading', actions: ['addUnloadWaiter', 'abandonLoadsAndQueue'] },
      },
    },
    idle: {
      always: { guard: 'hasQueuedCalls', target: 'busy' },
      on: {
        CALL: { target: 'busy', actions: 'enqueueCall' },
        LOAD: { target: 'unloading', actions: 'requestLoad' },
        RELOAD: { target: 'unloading', actions: 'requestLoad' },
        UNLOAD: { target: 'unloading', actions: ['addUnloadWaiter', 'abandonLoadsAndQueue'] },
      },
    },
    busy: {
      always: [
        { guard: 'canStartCall', actions: 'startNextCall' },
        { guard: 'isDrained', target: 'idle' },
      ],
      on: {
        CALL: { actions: 'enqueueCall' },
        LOAD: { target: 'unloading', actions: 'requestLoad' },
        RELOAD: { target: 'unloading', actions: 'requestLoad' },
        UNLOAD: { target: 'unloading', actions: ['addUnloadWaiter', 'abandonLoadsAndQueue'] },
      },
    },
    unloading: {
      initial: 'draining',
      on: {
        CALL: [{ guard: 'hasPendingLoad', actions: 'enqueueCall' }, { actions: 'rejectCall' }],
        LOAD: { actions: 'requestLoad' },
        RELOAD: { actions: 'requestLoad' },
        UNLOAD: { actions: ['addUnloadWaiter', 'abandonLoadsAndQueue'] },
      },
      states: {
        draining: {
          always: { guard: 'hasNoCallsInFlight', target: 'disposing' },
        },
        disposing: {
          invoke: {
            src: 'disposeComponent',
            input: ({ context }) => ({
              ...(context.prepared ? { prepared: context.prepared } : {}),
              ...(context.instance ? { instance: context.instance } : {}),
            }),
            onDone: [
              {
                guard: 'hasPendingLoad',
                target: '#component.loading',
                actions: ['clearLoaded', 'resolveUnloadWaiters'],
              },
              { target: '#component.unloaded', actions: ['clearLoaded', 'resolveUnloadWaiters'] },
            ],
          },
        },
      },
    },
  },
});

/** The top-level state of a component actor's snapshot. */
export type ComponentState = 'unloaded' | 'loading' | 'idle' | 'busy' | 'unloading';
