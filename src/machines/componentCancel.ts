/**
 * The component actor's actions that end calls before their time: CANCEL (a queued call leaves the
 * queue; a stateless call in flight is stopped; a stateful one runs within its grace, its reply dropped)
 * and killing calls in flight (grace expired, or KILL at shutdown). Pure: they only enqueue.
 */
import { executorId } from './calls/index.ts';
import { graceTimerId } from './componentRules.ts';
import { defaultCancelGraceMs } from './componentTypes.ts';
import { type EnqueueArgs, effect } from './effects.ts';
import { MachineError } from './MachineError.ts';

/** CANCEL: see the module header. */
export function cancelCall({ context, event, enqueue }: EnqueueArgs): void {
  if (event.type !== 'CANCEL') return;
  const error = new MachineError(
    'cancelled',
    `call ${event.callId} to component ${context.id} was cancelled`,
  );
  const queued = context.queue.find((c) => c.callId === event.callId);
  if (queued) {
    enqueue(effect({ type: 'rejectReply', params: { reply: queued.reply, error } }));
    enqueue.assign({ queue: context.queue.filter((c) => c !== queued), failed: context.failed + 1 });
    return;
  }
  const running = context.inFlight.find((c) => c.callId === event.callId && !c.cancelled);
  if (!running) return;
  enqueue(effect({ type: 'rejectReply', params: { reply: running.reply, error } }));
  if (context.spec?.stateful) {
    enqueue.assign({
      inFlight: context.inFlight.map((c) => (c === running ? { ...c, cancelled: true } : c)),
      failed: context.failed + 1,
    });
    enqueue.raise(
      { type: 'CANCEL.GRACE_EXPIRED', callId: running.callId },
      { id: graceTimerId(running.callId), delay: context.spec.cancelGraceMs ?? defaultCancelGraceMs },
    );
  } else {
    enqueue.sendTo(executorId, { type: 'ABORT', callIds: [running.callId] });
    enqueue.assign({ inFlight: context.inFlight.filter((c) => c !== running), failed: context.failed + 1 });
  }
}

/** Which calls in flight to kill (all when `callIds` is absent), and why. */
export interface KillParams {
  callIds?: string[];
  reason: string;
}

/**
 * Stops calls in flight (a cancelled stateful call past its grace, or every call on KILL). A stopped
 * stateful call leaves its instance in an unknown state: the instance is dropped (the next call starts a
 * fresh one) and the callers that still wait get `stopped`.
 */
export function killCalls({ context, enqueue }: EnqueueArgs, params: KillParams): void {
  const killed = context.inFlight.filter((c) => !params.callIds || params.callIds.includes(c.callId));
  if (killed.length === 0) return;
  enqueue.sendTo(executorId, { type: 'ABORT', callIds: killed.map((c) => c.callId) });
  for (const call of killed) if (call.cancelled) enqueue.cancel(graceTimerId(call.callId));
  const waiting = killed.filter((c) => !c.cancelled);
  const error = new MachineError('stopped', `component ${context.id}: ${params.reason}`);
  enqueue(effect({ type: 'rejectAll', params: { replies: waiting.map((c) => c.reply), error } }));
  const stateful = context.spec?.stateful === true;
  if (stateful && context.instance) enqueue.spawnChild('disposeInstance', { input: context.instance });
  enqueue.assign({
    inFlight: context.inFlight.filter((c) => !killed.includes(c)),
    failed: context.failed + waiting.length,
    lastError: error.message,
    ...(stateful ? { instance: undefined, restarts: context.restarts + 1 } : {}),
  });
}
