/**
 * The component actor: the lifecycle of one loaded component (`unloaded -> loading -> idle <-> busy ->
 * unloading -> unloaded`), its FIFO call queue, and for a stateful component the one live instance that
 * serves its calls strictly one at a time.
 *
 * Decisions (see DESIGN.md for the contract):
 * - Every state handles every event: CALL is served, queued or rejected, never dropped.
 * - Transitions are pure: `assign` only computes context; answering a caller (`resolveReply`,
 *   `rejectReply`, `rejectAll`, `resolveAll`) and disposing handles (`disposeInstance`) are named actions
 *   or child actors that XState runs after the transition. `getNextSnapshot` computes any transition
 *   without touching the runtime or a caller's promise.
 * - Calls run on one long-lived `executor` child (calls/callExecutor.ts): `startNextCall` sends it
 *   `RUN`, it answers `CALL.SETTLED`. The per-call path is O(1): no actor per call, the queue is an
 *   immutable O(1) FIFO (calls/CallQueue.ts), no abort machinery per stateful call.
 * - Stateful: the instance is created while loading (an initialisation failure is a load error; it is
 *   bounded by the call time limit). Calls run one at a time in arrival order (`canStartCall`). A fault (a
 *   `RuntimeError` whose `poisonsInstance` is true, or anything that is not a `RuntimeError`) discards the
 *   instance; the caller gets `state-lost`, `restarts` is incremented and the next call instantiates a
 *   fresh instance first, with the sandbox of the generation (a grant made since applies from the next
 *   reload). A WIT `err` (`CallOutcome.ok === false`) is a normal reply.
 * - Stateless: every call runs on a fresh instance (`callOnce`), up to `concurrency` at once, with the
 *   sandbox in force when it starts.
 * - Cancel: a queued call is removed from the queue. In flight, a stateless call is killed (the executor
 *   aborts the signal it gave the runtime); a stateful call is allowed to finish within
 *   `cancelGraceMs` (the state stays consistent and serialization is never broken), its reply is dropped
 *   and the caller's promise rejects with `cancelled` at once. A stateful call still running when the
 *   grace ends is killed: its instance (and worker) is dropped, the state is lost, the next call starts a
 *   fresh instance.
 * - UNLOAD: queued calls are rejected with "component <id> was unloaded"; calls in flight finish and are
 *   answered; then the instance and the prepared component (with its workers) are disposed.
 * - KILL (shutdown): calls in flight are stopped at once and rejected with `stopped`.
 * - LOAD or RELOAD while loaded = reload: unload (calls in flight finish), then load a new generation
 *   with a brand-new instance. Calls queued at the time of a reload are kept and served by the new
 *   generation; no state is ever carried over.
 * - Per-agent instances (stateful only): OPEN_INSTANCE spawns an instance actor (`instanceMachine.ts`,
 *   child `instance.<handle>`, at most `maxInstances`); a CALL with `instance` goes to it, or is
 *   rejected saying why (ended or unknown), never served by another instance. A reload or unload closes
 *   every instance and waits for them to end before the generation is disposed.
 */
import { assertEvent, assign, enqueueActions, setup } from 'xstate';
import { CallQueue, callExecutor, executorId } from './calls/index.ts';
import { disposeComponent, disposeInstance, loadComponent } from './componentActors.ts';
import { cancelCall, type KillParams, killCalls } from './componentCancel.ts';
import {
  closeInstances,
  forwardToInstances,
  instanceEnded,
  openInstance,
  toInstance,
} from './componentInstances.ts';
import {
  callError,
  canStartCall,
  describe,
  graceTimerId,
  nextCall,
  unloadedError,
} from './componentRules.ts';
import {
  type CallSettled,
  type ComponentContext,
  type ComponentEvent,
  type ComponentInput,
  type ComponentInternalEvent,
  defaultCancelGraceMs,
  type LoadOutput,
  type LoadReply,
  type LoadSpec,
} from './componentTypes.ts';
import { asEnqueueArgs, type EffectParams, effect, reply } from './effects.ts';
import { instanceMachine } from './instanceMachine.ts';
import type { InstanceEndReason } from './instanceRules.ts';
import { MachineError } from './MachineError.ts';

/** Every instance is asked to end, for this reason. */
const reason = (why: InstanceEndReason) => ({ type: 'closeInstances' as const, params: { reason: why } });
const rejectUnloaded = {
  type: 'rejectReply' as const,
  params: ({ context, event }: { context: ComponentContext; event: { reply?: unknown } }) => ({
    reply: event.reply as never,
    error: unloadedError(context.id),
  }),
};

export const componentMachine = setup({
  types: {
    context: {} as ComponentContext,
    events: {} as ComponentEvent | ComponentInternalEvent,
    input: {} as ComponentInput,
  },
  actors: {
    loadComponent,
    executor: callExecutor,
    disposeInstance,
    disposeComponent,
    instance: instanceMachine,
  },
  guards: {
    hasPendingLoad: ({ context }) => context.pendingLoad !== undefined,
    hasSpec: ({ context }) => context.spec !== undefined || context.pendingLoad !== undefined,
    hasQueuedCalls: ({ context }) => context.queue.length > 0,
    hasNoCallsInFlight: ({ context }) =>
      context.inFlight.length === 0 && Object.keys(context.instances).length === 0,
    isInstanceCall: ({ event }) => event.type === 'CALL' && event.instance !== undefined,
    isDrained: ({ context }) => context.queue.length === 0 && context.inFlight.length === 0,
    canStartCall: ({ context }) => canStartCall(context),
  },
  actions: {
    resolveReply: (_, params: EffectParams<'resolveReply'>) => reply.resolve(params),
    rejectReply: (_, params: EffectParams<'rejectReply'>) => reply.reject(params),
    resolveAll: (_, params: EffectParams<'resolveAll'>) => reply.resolveAll(params),
    rejectAll: (_, params: EffectParams<'rejectAll'>) => reply.rejectAll(params),

    // --- context ---
    /** A reload, or a load queued behind the current generation. */
    requestLoad: assign(({ context, event }) => {
      assertEvent(event, ['LOAD', 'RELOAD']);
      const spec = event.type === 'LOAD' ? event.spec : (context.pendingLoad ?? context.spec);
      return {
        pendingLoad: spec,
        waiters: event.reply
          ? { ...context.waiters, load: [...context.waiters.load, event.reply] }
          : context.waiters,
      };
    }),
    /** Entering `loading`: the pending spec becomes the new generation, with its sandbox. */
    beginGeneration: assign(({ context }) => {
      const spec = context.pendingLoad ?? context.spec;
      return {
        spec,
        sandbox: spec?.sandbox ?? {},
        pendingLoad: undefined,
        generation: context.generation + 1,
      };
    }),
    storeLoaded: assign((_, output: LoadOutput) => ({
      prepared: output.prepared,
      instance: output.instance,
    })),
    resolveLoadWaiters: enqueueActions(({ context, enqueue }) => {
      const reply: LoadReply = { tools: context.prepared?.tools ?? [], generation: context.generation };
      enqueue(effect({ type: 'resolveAll', params: { replies: context.waiters.load, value: reply } }));
      enqueue.assign({ waiters: { ...context.waiters, load: [] } });
    }),
    failLoad: enqueueActions(({ context, enqueue }, params: { error: unknown }) => {
      const error = new MachineError(
        'load-failed',
        `component ${context.id} failed to load: ${describe(params.error)}`,
        { cause: params.error },
      );
      const replies = [...context.waiters.load, ...context.queue.map((c) => c.reply)];
      enqueue(effect({ type: 'rejectAll', params: { replies, error } }));
      enqueue.assign({
        waiters: { ...context.waiters, load: [] },
        queue: CallQueue.empty(),
        failed: context.failed + context.queue.length,
        lastError: error.message,
      });
    }),
    /** UNLOAD: no load waits any more, queued calls are answered with the unloaded error. */
    abandonLoadsAndQueue: enqueueActions(({ context, enqueue }) => {
      const replies = [...context.waiters.load, ...context.queue.map((c) => c.reply)];
      enqueue(effect({ type: 'rejectAll', params: { replies, error: unloadedError(context.id) } }));
      enqueue.assign({
        waiters: { ...context.waiters, load: [] },
        queue: CallQueue.empty(),
        pendingLoad: undefined,
        failed: context.failed + context.queue.length,
      });
    }),
    addUnloadWaiter: assign(({ context, event }) => {
      assertEvent(event, 'UNLOAD');
      return event.reply
        ? { waiters: { ...context.waiters, unload: [...context.waiters.unload, event.reply] } }
        : {};
    }),
    resolveUnloadWaiters: enqueueActions(({ context, enqueue }) => {
      enqueue(effect({ type: 'resolveAll', params: { replies: context.waiters.unload } }));
      enqueue.assign({ waiters: { ...context.waiters, unload: [] } });
    }),
    clearLoaded: assign({ prepared: undefined, instance: undefined }),
    enqueueCall: assign(({ context, event }) => {
      assertEvent(event, 'CALL');
      const queue = context.queue.push({
        callId: event.callId,
        tool: event.tool,
        args: event.args,
        reply: event.reply,
      });
      return { queue, queueHighWater: Math.max(context.queueHighWater, queue.length) };
    }),
    countRejected: assign(({ context }) => ({ failed: context.failed + 1 })),
    openInstance: enqueueActions((args) => openInstance(asEnqueueArgs(args))),
    toInstance: enqueueActions((args) => toInstance(asEnqueueArgs(args))),
    closeInstances: enqueueActions((args, params: { reason: InstanceEndReason }) =>
      closeInstances(asEnqueueArgs(args), params.reason),
    ),
    forwardToInstances: enqueueActions((args) => forwardToInstances(asEnqueueArgs(args))),
    instanceEnded: enqueueActions((args) => instanceEnded(asEnqueueArgs(args))),
    /** Moves the head of the queue in flight and hands it to the executor (only when `canStartCall`). */
    startNextCall: enqueueActions(({ context, enqueue }) => {
      const next = nextCall(context);
      if (!next) return;
      const { call, prepared, spec } = next;
      enqueue.assign({ queue: context.queue.shift(), inFlight: [...context.inFlight, call] });
      enqueue.sendTo(executorId, {
        type: 'RUN',
        generation: context.generation,
        call,
        stateful: spec.stateful,
        prepared,
        ...(context.instance ? { instance: context.instance } : {}),
        sandbox: context.sandbox,
        timeoutMs: spec.timeoutMs,
      });
    }),
    settleCall: enqueueActions(({ context, enqueue }, settled: CallSettled) => {
      const { result } = settled;
      const call = context.inFlight.find((c) => c.callId === settled.callId);
      if (!call || settled.generation !== context.generation) {
        // Not ours any more: never let a stray fresh instance leak.
        if (result.instance) enqueue.spawnChild('disposeInstance', { input: result.instance });
        return;
      }
      if (call.cancelled) enqueue.cancel(graceTimerId(call.callId));
      const inFlight = context.inFlight.filter((c) => c !== call);
      let instance = result.instance ?? context.instance;
      if (result.ok) {
        if (!call.cancelled)
          enqueue(effect({ type: 'resolveReply', params: { reply: call.reply, value: result.outcome } }));
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
      if (!call.cancelled) enqueue(effect({ type: 'rejectReply', params: { reply: call.reply, error } }));
      let restarts = context.restarts;
      if (context.spec?.stateful && poisons) {
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
    cancelCall: enqueueActions((args) => cancelCall(asEnqueueArgs(args))),
    killCalls: enqueueActions((args, params: KillParams) => killCalls(asEnqueueArgs(args), params)),
    /** Stateless: the next call uses the new sandbox. Stateful: it applies from the next (re)load. */
    updateSandbox: assign(({ context, event }) => {
      assertEvent(event, 'UPDATE_SANDBOX');
      return {
        ...(context.spec ? { spec: { ...context.spec, sandbox: event.sandbox } } : {}),
        ...(context.pendingLoad ? { pendingLoad: { ...context.pendingLoad, sandbox: event.sandbox } } : {}),
        ...(context.spec && !context.spec.stateful ? { sandbox: event.sandbox } : {}),
      };
    }),
  },
}).createMachine({
  id: 'component',
  initial: 'unloaded',
  context: ({ input }) => ({
    // Every key is here from the start and the context stays under 20 keys: XState copies the context
    // with Object.assign on every assign, and V8 turns a copy with more keys, or with keys added later,
    // into a dictionary-mode object (each copy then cost ~20x more: most of the actor's cost per call).
    id: input.id,
    loader: { runtime: input.runtime, prepareOptions: input.prepareOptions ?? {} },
    spec: undefined,
    pendingLoad: input.load?.spec,
    sandbox: {},
    generation: 0,
    restarts: 0,
    prepared: undefined,
    instance: undefined,
    queue: CallQueue.empty(),
    inFlight: [],
    waiters: { load: input.load?.reply ? [input.load.reply] : [], unload: [] },
    served: 0,
    failed: 0,
    queueHighWater: 0,
    lastCallMs: undefined,
    lastError: undefined,
    instances: {},
    ended: {},
  }),
  // The one executor of this component's calls, for the actor's whole life (all generations).
  invoke: { id: executorId, src: 'executor' },
  // What `loading`, `idle` and `busy` do (written once); `unloaded` and `unloading` override.
  on: {
    CALL: [{ guard: 'isInstanceCall', actions: 'toInstance' }, { actions: 'enqueueCall' }],
    LOAD: { target: '.unloading', actions: [reason('reloaded'), 'requestLoad'] },
    RELOAD: { target: '.unloading', actions: [reason('reloaded'), 'requestLoad'] },
    UNLOAD: {
      target: '.unloading',
      actions: [reason('unloaded'), 'addUnloadWaiter', 'abandonLoadsAndQueue'],
    },
    OPEN_INSTANCE: { actions: 'openInstance' },
    CLOSE_INSTANCE: { actions: 'toInstance' },
    'xstate.done.actor.instance.*': { actions: 'instanceEnded' },
    'xstate.error.actor.instance.*': { actions: 'instanceEnded' },
    CANCEL: { actions: ['cancelCall', 'forwardToInstances'] },
    UPDATE_SANDBOX: { actions: 'updateSandbox' },
    KILL: {
      actions: [
        {
          type: 'killCalls',
          params: { reason: 'the call was stopped before it finished (the server is shutting down)' },
        },
        'forwardToInstances',
      ],
    },
    'CANCEL.GRACE_EXPIRED': {
      actions: {
        type: 'killCalls',
        params: ({ context, event }) => ({
          callIds: [event.callId],
          reason: `cancelled call ${event.callId} did not finish within ${context.spec?.cancelGraceMs ?? defaultCancelGraceMs} ms; it was stopped and the component's state was lost; the next call starts a fresh instance`,
        }),
      },
    },
    // The executor reports every call it was given, however it ended (a runner that throws too).
    'CALL.SETTLED': { actions: { type: 'settleCall', params: ({ event }) => event } },
  },
  states: {
    unloaded: {
      always: { guard: 'hasPendingLoad', target: 'loading' },
      on: {
        LOAD: { target: 'loading', actions: 'requestLoad' },
        RELOAD: [
          { guard: 'hasSpec', target: 'loading', actions: 'requestLoad' },
          {
            actions: {
              type: 'rejectReply',
              params: ({ context, event }) => ({
                reply: event.reply,
                error: new MachineError('unloaded', `component ${context.id} has nothing to reload`),
              }),
            },
          },
        ],
        CALL: { actions: ['countRejected', rejectUnloaded] },
        UNLOAD: { actions: { type: 'resolveReply', params: ({ event }) => ({ reply: event.reply }) } },
        OPEN_INSTANCE: { actions: rejectUnloaded },
      },
    },
    loading: {
      entry: 'beginGeneration',
      invoke: {
        id: 'load',
        src: 'loadComponent',
        input: ({ context }) => ({
          runtime: context.loader.runtime,
          spec: context.spec as LoadSpec,
          prepareOptions: context.loader.prepareOptions,
        }),
        onDone: {
          target: 'idle',
          actions: [{ type: 'storeLoaded', params: ({ event }) => event.output }, 'resolveLoadWaiters'],
        },
        onError: {
          target: 'unloaded',
          actions: { type: 'failLoad', params: ({ event }) => ({ error: event.error }) },
        },
      },
    },
    idle: {
      always: { guard: 'hasQueuedCalls', target: 'busy' },
    },
    busy: {
      always: [
        { guard: 'canStartCall', actions: 'startNextCall' },
        { guard: 'isDrained', target: 'idle' },
      ],
    },
    unloading: {
      initial: 'draining',
      on: {
        CALL: [
          { guard: 'isInstanceCall', actions: 'toInstance' },
          { guard: 'hasPendingLoad', actions: 'enqueueCall' },
          { actions: ['countRejected', rejectUnloaded] },
        ],
        LOAD: { actions: 'requestLoad' },
        RELOAD: { actions: 'requestLoad' },
        UNLOAD: { actions: ['addUnloadWaiter', 'abandonLoadsAndQueue'] },
        OPEN_INSTANCE: { actions: rejectUnloaded },
      },
      states: {
        draining: {
          always: { guard: 'hasNoCallsInFlight', target: 'disposing' },
        },
        disposing: {
          invoke: {
            id: 'dispose',
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
