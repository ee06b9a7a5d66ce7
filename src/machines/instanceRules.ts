/**
 * The pure rules of per-agent instances, apart from the charts: why an instance ended and what its
 * caller is told, the child id of an instance actor, and how a handle is shown where others may see it.
 */
import { MachineError } from './MachineError.ts';

/** Why an instance ended. */
export type InstanceEndReason =
  /** `close-instance`. */
  | 'closed'
  /** No call for `--instance-idle`. */
  | 'expired'
  /** Its component was reloaded (every instance ends). */
  | 'reloaded'
  /** Its component was unloaded. */
  | 'unloaded'
  /** It could not start. */
  | 'failed'
  /** The server shut down. */
  | 'stopped'
  /** The 2025-era HTTP session that opened it ended. */
  | 'session-ended';

/** What an instance actor's `closed` state reports to its component (`xstate.done.actor.instance.<handle>`). */
export interface InstanceOutput {
  handle: string;
  reason: InstanceEndReason;
}

const because: Record<InstanceEndReason, string> = {
  closed: 'was closed with close-instance',
  expired: 'expired after its idle time without calls (serve --instance-idle)',
  reloaded: 'was closed when its component was reloaded',
  unloaded: 'was closed when its component was unloaded',
  failed: 'could not start',
  stopped: 'was closed when the server shut down',
  'session-ended': 'was closed when the session that opened it ended',
};

/** How a handle appears in messages, logs and the inspector: enough to tell two apart, never usable. */
export function redactHandle(handle: string): string {
  const dot = handle.indexOf('.');
  return `${handle.slice(0, dot + 1 + 6)}…`;
}

/** The error of a call or close on an instance that has ended. */
export function instanceEndedError(
  componentId: string,
  handle: string,
  reason: InstanceEndReason,
): MachineError {
  return new MachineError(
    'instance-ended',
    `instance ${redactHandle(handle)} of component ${componentId} ${because[reason]}; its state is gone. Open a new one with open-instance.`,
  );
}

/** The error for a handle this component never opened (or forgot). */
export function unknownInstanceError(componentId: string, handle: string): MachineError {
  return new MachineError(
    'instance-unknown',
    `instance ${redactHandle(handle)} is unknown to component ${componentId} (it was never opened by this component on this server, or it ended long ago). Open one with open-instance {component_id: "${componentId}"}.`,
  );
}

/** The child id of an instance actor; its done event is `xstate.done.actor.instance.<handle>`. */
export const instanceActorId = (handle: string) => `instance.${handle}` as const;

/** The handle of an instance actor's done event type. */
export const handleOf = (eventType: string) =>
  eventType.slice(eventType.indexOf('.instance.') + '.instance.'.length);

/** How many ended handles a component remembers, to say why they ended (older ones become unknown). */
export const endedMemory = 1_024;

/** Remembers why `handle` ended, forgetting the oldest beyond `endedMemory`. */
export function rememberEnded(
  ended: Record<string, InstanceEndReason>,
  handle: string,
  reason: InstanceEndReason,
): Record<string, InstanceEndReason> {
  const next = { ...ended, [handle]: reason };
  const keys = Object.keys(next);
  if (keys.length <= endedMemory) return next;
  for (const key of keys.slice(0, keys.length - endedMemory)) delete next[key];
  return next;
}

/** What the component actor needs to decide about its instances (a slice of its context). */
export interface InstanceOwner {
  id: string;
  instances: Record<string, { closing?: InstanceEndReason }>;
  ended: Record<string, InstanceEndReason>;
}

/** Where a call or close for `handle` goes: to the live instance actor, or an error saying why not. */
export function findInstance(owner: InstanceOwner, handle: string): { live: true } | { error: MachineError } {
  const entry = owner.instances[handle];
  if (entry && entry.closing === undefined) return { live: true };
  const reason = entry?.closing ?? owner.ended[handle];
  return {
    error: reason ? instanceEndedError(owner.id, handle, reason) : unknownInstanceError(owner.id, handle),
  };
}
