/**
 * The instance actor: one per-agent instance of a stateful component (`open-instance`), a child of its
 * component actor (`instance.<handle>`). Lifecycle `starting -> idle <-> busy -> closing -> closed`.
 *
 * Decisions:
 * - Fresh at open: `starting` instantiates with the generation's prepared component and sandbox; the
 *   open reply settles when it is live (a failing init rejects the open and ends the actor).
 * - Its own FIFO queue (an O(1) immutable queue), calls strictly one at a time: entering `busy` hands
 *   the head of the queue to the actor's one long-lived `executor` child (calls/callExecutor.ts), whose
 *   `CALL.SETTLED` ends `busy`; different instance actors run in parallel.
 * - A fault discards only this instance: the caller gets `state-lost` naming the handle, and the next
 *   call of this handle instantiates a fresh one (the executor does when there is none).
 * - CANCEL, as on the component's shared instance: a queued call leaves the queue; the call in flight is
 *   answered `cancelled` at once and may finish within `cancelGraceMs` (its effect kept); still running
 *   then, it is killed, this instance's state is lost and its next call starts a fresh instance.
 * - CLOSE (close-instance, reload, unload) and the idle timer (`idleMs` without calls) end it: queued
 *   calls are rejected with `instance-ended` saying why, a call in flight finishes and is answered, then
 *   the instance is disposed and the actor reaches `closed`, whose output tells the component why.
 * - KILL (shutdown) stops the call in flight at once (its caller gets `stopped`).
 * - Transitions are pure: replies and disposal are named actions or child actors.
 */
import { assertEvent, assign, enqueueActions, fromPromise, setup } from 'xstate';
import {
  type ComponentInstance,
  type PreparedComponent,
  RuntimeError,
  type SandboxSpec,
} from '../runtime/index.ts';
import { CallQueue, type CallSettledEvent, callExecutor, executorId } from './calls/index.ts';
import { describe, graceTimerId } from './componentRules.ts';
import { type CallSettled, defaultCancelGraceMs } from './componentTypes.ts';
import { type EffectParams, effect, reply } from './effects.ts';
import { type InstanceOutput, instanceEndedError, redactHandle } from './instanceRules.ts';
import type { InstanceContext, InstanceEvent, InstanceInput } from './instanceTypes.ts';
import { MachineError } from './MachineError.ts';

const startInstance = fromPromise<
  ComponentInstance,
  { prepared: PreparedComponent; sandbox: SandboxSpec; timeoutMs: number }
>(async ({ input, signal }) => {
  const instance = await input.prepared.instantiate(input.sandbox, { timeoutMs: input.timeoutMs, signal });
  if (signal.aborted) {
    await instance.dispose().catch(() => {});
    throw new MachineError('stopped', 'the instance was closed while it started');
  }
  return instance;
});

/** Drops the instance, if there is one (there is none after a fault or a failed start). */
const disposeIfAny = fromPromise<void, ComponentInstance | undefined>(async ({ input }) => {
  await input?.dispose().catch(() => {});
});

export const instanceMachine = setup({
  types: {
    context: {} as InstanceContext,
    events: {} as InstanceEvent,
    input: {} as InstanceInput,
    output: {} as InstanceOutput,
  },
  actors: { startInstance, executor: callExecutor, disposeInstance: disposeIfAny },
  delays: { idleTimeout: ({ context }) => context.idleMs },
  guards: {
    hasQueuedCalls: ({ context }) => context.queue.length > 0,
    isClosing: ({ context }) => context.closing !== undefined,
    isCurrentCall: ({ context, event }) =>
      event.type === 'CALL.SETTLED' && event.callId === context.current?.callId,
    isCancelledCurrentCall: ({ context, event }) =>
      event.type === 'CANCEL.GRACE_EXPIRED' &&
      event.callId === context.current?.callId &&
      context.current.cancelled === true,
  },
  actions: {
    resolveReply: (_, params: EffectParams<'resolveReply'>) => reply.resolve(params),
    rejectReply: (_, params: EffectParams<'rejectReply'>) => reply.reject(params),
    resolveAll: (_, params: EffectParams<'resolveAll'>) => reply.resolveAll(params),
    rejectAll: (_, params: EffectParams<'rejectAll'>) => reply.rejectAll(params),
    enqueueCall: assign(({ context, event }) => {
      assertEvent(event, 'CALL');
      const call = { callId: event.callId, tool: event.tool, args: event.args, reply: event.reply };
      return { queue: context.queue.push(call) };
    }),
    rejectCall: enqueueActions(({ context, event, enqueue }) => {
      assertEvent(event, 'CALL');
      const error = instanceEndedError(context.componentId, context.handle, context.closing ?? 'closed');
      enqueue(effect({ type: 'rejectReply', params: { reply: event.reply, error } }));
      enqueue.assign({ failed: context.failed + 1 });
    }),
    /** Asked to end: queued calls are answered with why; the call in flight (if any) finishes. */
    beginClose: enqueueActions(({ context, event, enqueue }) => {
      assertEvent(event, 'CLOSE');
      const closing = context.closing ?? event.reason;
      const error = instanceEndedError(context.componentId, context.handle, closing);
      enqueue(effect({ type: 'rejectAll', params: { replies: context.queue.map((c) => c.reply), error } }));
      enqueue.assign({
        closing,
        queue: CallQueue.empty(),
        failed: context.failed + context.queue.length,
        closeWaiters: event.reply ? [...context.closeWaiters, event.reply] : context.closeWaiters,
      });
    }),
    expire: assign({ closing: 'expired' as const }),
    storeInstance: enqueueActions(({ context, enqueue }, instance: ComponentInstance) => {
      enqueue(effect({ type: 'resolveReply', params: { reply: context.openReply } }));
      enqueue.assign({ instance, openReply: undefined });
    }),
    failStart: enqueueActions(({ context, enqueue }, params: { error: unknown }) => {
      const error = new MachineError(
        'load-failed',
        `instance ${redactHandle(context.handle)} of component ${context.componentId} failed to start: ${describe(params.error)}`,
        { cause: params.error },
      );
      const replies = [context.openReply, ...context.queue.map((c) => c.reply)].filter(
        (r) => r !== undefined,
      );
      enqueue(effect({ type: 'rejectAll', params: { replies, error } }));
      enqueue.assign({
        openReply: undefined,
        queue: CallQueue.empty(),
        closing: context.closing ?? 'failed',
      });
    }),
    /** Takes the head of the queue and hands it to the executor. */
    startNextCall: enqueueActions(({ context, enqueue }) => {
      const call = context.queue.at(0);
      if (!call) return;
      enqueue.assign({ current: call, queue: context.queue.shift() });
      enqueue.sendTo(executorId, {
        type: 'RUN',
        generation: context.generation,
        call,
        stateful: true,
        prepared: context.prepared,
        ...(context.instance ? { instance: context.instance } : {}),
        sandbox: context.sandbox,
        timeoutMs: context.timeoutMs,
      });
    }),
    cancelCall: enqueueActions(({ context, event, enqueue }) => {
      assertEvent(event, 'CANCEL');
      const error = new MachineError(
        'cancelled',
        `call ${event.callId} to component ${context.componentId} was cancelled`,
      );
      const queued = context.queue.find((c) => c.callId === event.callId);
      if (queued) {
        enqueue(effect({ type: 'rejectReply', params: { reply: queued.reply, error } }));
        enqueue.assign({ queue: context.queue.filter((c) => c !== queued), failed: context.failed + 1 });
        return;
      }
      const running = context.current;
      if (running?.callId !== event.callId || running.cancelled) return;
      // The call may run on within the grace (its state stays consistent); then it is killed.
      enqueue(effect({ type: 'rejectReply', params: { reply: running.reply, error } }));
      enqueue.assign({ current: { ...running, cancelled: true }, failed: context.failed + 1 });
      enqueue.raise(
        { type: 'CANCEL.GRACE_EXPIRED', callId: running.callId },
        { id: graceTimerId(running.callId), delay: context.cancelGraceMs },
      );
    }),
    /** A cancelled call still running after its grace: killed; the instance is dropped (state lost). */
    killCancelled: enqueueActions(({ context, enqueue }) => {
      const call = context.current;
      if (!call) return;
      enqueue.sendTo(executorId, { type: 'ABORT', callIds: [call.callId] });
      if (context.instance) enqueue.spawnChild('disposeInstance', { input: context.instance });
      enqueue.assign({
        current: undefined,
        instance: undefined,
        restarts: context.restarts + 1,
        lastError: `component ${context.componentId}, instance ${redactHandle(context.handle)}: cancelled call ${call.callId} did not finish within ${context.cancelGraceMs} ms; it was stopped and this instance's state was lost; its next call starts a fresh instance (other instances are not affected)`,
      });
    }),
    settleCall: enqueueActions(({ context, enqueue }, settled: CallSettled) => {
      const call = context.current;
      const { result } = settled;
      let instance = result.instance ?? context.instance;
      if (!call) return;
      if (call.cancelled) enqueue.cancel(graceTimerId(call.callId));
      if (result.ok) {
        if (!call.cancelled)
          enqueue(effect({ type: 'resolveReply', params: { reply: call.reply, value: result.outcome } }));
        enqueue.assign({ current: undefined, instance, served: context.served + (call.cancelled ? 0 : 1) });
        return;
      }
      const poisons =
        !(result.error instanceof MachineError) &&
        (!(result.error instanceof RuntimeError) || result.error.poisonsInstance);
      const message = describe(result.error);
      const error = poisons
        ? new MachineError(
            'state-lost',
            `component ${context.componentId}, instance ${redactHandle(context.handle)}: ${message}; this instance's state was lost; its next call starts a fresh instance (other instances are not affected)`,
            { cause: result.error },
          )
        : result.error instanceof MachineError
          ? result.error
          : new MachineError('call-failed', message, { cause: result.error });
      if (!call.cancelled) enqueue(effect({ type: 'rejectReply', params: { reply: call.reply, error } }));
      if (poisons && instance) {
        enqueue.spawnChild('disposeInstance', { input: instance });
        instance = undefined;
      }
      enqueue.assign({
        current: undefined,
        instance,
        restarts: context.restarts + (poisons ? 1 : 0),
        failed: context.failed + (call.cancelled ? 0 : 1),
        lastError: error.message,
      });
    }),
    killCurrent: enqueueActions(({ context, enqueue }) => {
      const call = context.current;
      if (!call) return;
      const error = new MachineError(
        'stopped',
        `component ${context.componentId}: the call was stopped before it finished (the server is shutting down)`,
      );
      if (!call.cancelled) enqueue(effect({ type: 'rejectReply', params: { reply: call.reply, error } }));
      else enqueue.cancel(graceTimerId(call.callId));
      enqueue.sendTo(executorId, { type: 'ABORT', callIds: [call.callId] });
      enqueue.assign({ current: undefined, closing: context.closing ?? 'stopped' });
    }),
    resolveCloseWaiters: enqueueActions(({ context, enqueue }) => {
      enqueue(effect({ type: 'resolveAll', params: { replies: context.closeWaiters } }));
      enqueue.assign({ closeWaiters: [] });
    }),
  },
}).createMachine({
  id: 'instance',
  initial: 'starting',
  context: ({ input }) => {
    // Every key from the start, and few of them: see the component machine's `context`.
    return {
      handle: input.handle,
      componentId: input.componentId,
      generation: input.generation,
      prepared: input.prepared,
      sandbox: input.sandbox,
      timeoutMs: input.timeoutMs,
      idleMs: input.idleMs,
      cancelGraceMs: input.cancelGraceMs ?? defaultCancelGraceMs,
      openReply: input.reply,
      instance: undefined,
      queue: CallQueue.empty(),
      current: undefined,
      closing: undefined,
      closeWaiters: [],
      served: 0,
      failed: 0,
      restarts: 0,
      lastError: undefined,
    };
  },
  output: ({ context }) => ({ handle: context.handle, reason: context.closing ?? 'closed' }),
  // The one executor of this instance's calls, for the actor's whole life.
  invoke: { id: executorId, src: 'executor' },
  on: {
    CALL: [{ guard: 'isClosing', actions: 'rejectCall' }, { actions: 'enqueueCall' }],
    CANCEL: { actions: 'cancelCall' },
    CLOSE: { actions: 'beginClose' },
  },
  states: {
    starting: {
      on: {
        KILL: {
          target: 'closing',
          actions: assign({ closing: ({ context }) => context.closing ?? 'stopped' }),
        },
      },
      invoke: {
        src: 'startInstance',
        input: ({ context }) => ({
          prepared: context.prepared,
          sandbox: context.sandbox,
          timeoutMs: context.timeoutMs,
        }),
        onDone: { target: 'idle', actions: { type: 'storeInstance', params: ({ event }) => event.output } },
        onError: {
          target: 'closing',
          actions: { type: 'failStart', params: ({ event }) => ({ error: event.error }) },
        },
      },
    },
    idle: {
      always: [
        { guard: 'isClosing', target: 'closing' },
        { guard: 'hasQueuedCalls', target: 'busy' },
      ],
      after: { idleTimeout: { target: 'closing', actions: 'expire' } },
      on: {
        KILL: {
          target: 'closing',
          actions: assign({ closing: ({ context }) => context.closing ?? 'stopped' }),
        },
      },
    },
    busy: {
      entry: 'startNextCall',
      on: {
        KILL: { target: 'closing', actions: 'killCurrent' },
        'CALL.SETTLED': {
          guard: 'isCurrentCall',
          target: 'idle',
          actions: { type: 'settleCall', params: ({ event }) => event as CallSettledEvent },
        },
        'CANCEL.GRACE_EXPIRED': { guard: 'isCancelledCurrentCall', target: 'idle', actions: 'killCancelled' },
      },
    },
    closing: {
      on: { CALL: { actions: 'rejectCall' } },
      invoke: {
        src: 'disposeInstance',
        input: ({ context }) => context.instance,
        onDone: { target: 'closed' },
        onError: { target: 'closed' },
      },
    },
    closed: {
      type: 'final',
      entry: 'resolveCloseWaiters',
    },
  },
});
