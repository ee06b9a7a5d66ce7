/**
 * The component actor's actions about its per-agent instances (apart from the chart to keep it short):
 * open one as a child actor, route a call or close to it, close them all on reload or unload, and
 * forget one when it ends. Each is pure: it only enqueues (assign, sendTo, spawnChild, reply effects).
 */
import type { ComponentContext } from './componentTypes.ts';
import { defaultCancelGraceMs, defaultInstanceIdleMs, defaultMaxInstances } from './componentTypes.ts';
import { type EnqueueArgs, effect } from './effects.ts';
import {
  findInstance,
  handleOf,
  type InstanceEndReason,
  instanceActorId,
  rememberEnded,
} from './instanceRules.ts';
import { MachineError } from './MachineError.ts';

/** Why an OPEN_INSTANCE cannot be served now, if it cannot. */
function openRefusal(context: ComponentContext): MachineError | undefined {
  const max = context.spec?.maxInstances ?? defaultMaxInstances;
  if (!context.spec?.stateful) {
    return new MachineError(
      'not-stateful',
      `component ${context.id} is stateless: every call already gets a fresh instance. Load it with stateful: true to open instances.`,
    );
  }
  if (!context.prepared) {
    return new MachineError(
      'loading',
      `component ${context.id} is still loading; open the instance once it is loaded.`,
    );
  }
  if (Object.keys(context.instances).length >= max) {
    return new MachineError(
      'instance-limit',
      `component ${context.id} already has ${max} instances open (the limit, serve --max-instances); close one with close-instance first.`,
    );
  }
  return undefined;
}

/** OPEN_INSTANCE: spawns the instance actor (it answers the open once its instance is live). */
export function openInstance({ context, event, enqueue }: EnqueueArgs): void {
  if (event.type !== 'OPEN_INSTANCE') return;
  const error = openRefusal(context);
  const { spec, prepared } = context;
  if (error || !spec || !prepared) {
    enqueue(effect({ type: 'rejectReply', params: { reply: event.reply, error } }));
    return;
  }
  enqueue.spawnChild('instance', {
    id: instanceActorId(event.handle),
    input: {
      handle: event.handle,
      componentId: context.id,
      generation: context.generation,
      prepared,
      sandbox: context.sandbox,
      timeoutMs: spec.timeoutMs,
      idleMs: spec.instanceIdleMs ?? defaultInstanceIdleMs,
      cancelGraceMs: spec.cancelGraceMs ?? defaultCancelGraceMs,
      reply: event.reply,
    },
  });
  enqueue.assign({ instances: { ...context.instances, [event.handle]: {} } });
}

/** A CALL with `instance`, or CLOSE_INSTANCE: to that live instance actor, or rejected saying why not. */
export function toInstance({ context, event, enqueue }: EnqueueArgs): void {
  if (event.type !== 'CALL' && event.type !== 'CLOSE_INSTANCE') return;
  const handle = event.type === 'CALL' ? (event.instance ?? '') : event.handle;
  const found = findInstance(context, handle);
  if ('error' in found) {
    enqueue(effect({ type: 'rejectReply', params: { reply: event.reply, error: found.error } }));
    if (event.type === 'CALL') enqueue.assign({ failed: context.failed + 1 });
    return;
  }
  if (event.type === 'CALL') {
    const { callId, tool, args, reply } = event;
    enqueue.sendTo(instanceActorId(handle), { type: 'CALL', callId, tool, args, reply });
    return;
  }
  const reason = event.reason ?? 'closed';
  enqueue.sendTo(instanceActorId(handle), { type: 'CLOSE', reason, reply: event.reply });
  enqueue.assign({ instances: { ...context.instances, [handle]: { closing: reason } } });
}

/** Reload or unload: every instance is asked to end; each ends once its call in flight is answered. */
export function closeInstances({ context, enqueue }: EnqueueArgs, reason: InstanceEndReason): void {
  const instances = { ...context.instances };
  for (const [handle, entry] of Object.entries(context.instances)) {
    if (entry.closing !== undefined) continue;
    enqueue.sendTo(instanceActorId(handle), { type: 'CLOSE', reason });
    instances[handle] = { closing: reason };
  }
  enqueue.assign({ instances });
}

/** CANCEL (the call may be in an instance's queue) and KILL reach every instance. */
export function forwardToInstances({ context, event, enqueue }: EnqueueArgs): void {
  if (event.type !== 'CANCEL' && event.type !== 'KILL') return;
  for (const handle of Object.keys(context.instances)) enqueue.sendTo(instanceActorId(handle), event);
}

/** An instance actor ended (or, never expected, failed): it is forgotten, and why it ended remembered. */
export function instanceEnded({ context, event, enqueue }: EnqueueArgs): void {
  const handle = handleOf(event.type);
  const entry = context.instances[handle];
  const output = 'output' in event ? (event.output as { reason?: InstanceEndReason } | undefined) : undefined;
  const reason = output?.reason ?? entry?.closing ?? 'failed';
  enqueue.stopChild(instanceActorId(handle));
  const { [handle]: _gone, ...instances } = context.instances;
  enqueue.assign({ instances, ended: rememberEnded(context.ended, handle, reason) });
}
