/** The types of the instance actor (what it is started with, holds and accepts) and the host's summaries. */
import type {
  CallOutcome,
  ComponentInstance,
  JsonObject,
  PreparedComponent,
  SandboxSpec,
} from '../runtime/index.ts';
import type { CallQueue } from './calls/index.ts';
import type { CallSettled, ComponentState, PendingCall } from './componentTypes.ts';
import type { Deferred } from './deferred.ts';
import type { InstanceEndReason } from './instanceRules.ts';

/** What an instance actor is started with. */
export interface InstanceInput {
  handle: string;
  componentId: string;
  generation: number;
  prepared: PreparedComponent;
  sandbox: SandboxSpec;
  timeoutMs: number;
  /** The instance ends after this long without calls. */
  idleMs: number;
  /** How long a cancelled call may run on before it is killed (default `defaultCancelGraceMs`). */
  cancelGraceMs?: number;
  /** Settles when the instance is live (or rejects when it cannot start). */
  reply?: Deferred<void>;
}

export interface InstanceContext extends Omit<InstanceInput, 'reply' | 'cancelGraceMs'> {
  cancelGraceMs: number;
  openReply?: Deferred<void>;
  instance?: ComponentInstance;
  queue: CallQueue<PendingCall>;
  current?: PendingCall;
  /** Set once the instance is asked to end; it ends as soon as no call is in flight. */
  closing?: InstanceEndReason;
  closeWaiters: Deferred<void>[];
  served: number;
  failed: number;
  /** Fresh instances started after a fault of this one. */
  restarts: number;
  lastError?: string;
}

/** The events the component actor forwards to an instance actor (and its executor's `CALL.SETTLED`). */
export type InstanceEvent =
  | { type: 'CALL'; callId: string; tool: string; args: JsonObject; reply: Deferred<CallOutcome> }
  | { type: 'CANCEL'; callId: string }
  | { type: 'CLOSE'; reason: InstanceEndReason; reply?: Deferred<void> }
  | { type: 'KILL' }
  /** Raised by the instance itself when a cancelled call is still running after its grace. */
  | { type: 'CANCEL.GRACE_EXPIRED'; callId: string }
  | ({ type: 'CALL.SETTLED' } & CallSettled);

/** The top-level states of an instance actor. */
export type InstanceState = 'starting' | 'idle' | 'busy' | 'closing' | 'closed';

/** One per-agent instance, for the inspector (the handle is shown redacted: it is a capability). */
export interface InstanceSummary {
  /** The handle's replica id and first characters, never the whole handle. */
  handle: string;
  state: InstanceState;
  queueLength: number;
  inFlight: number;
  served: number;
  failed: number;
  restarts: number;
  lastError?: string;
}

/** One component, for `list-components` and the inspector. */
export interface ComponentSummary {
  id: string;
  stateful: boolean;
  state: ComponentState;
  generation: number;
  /** Fresh instances started after a fault of a stateful instance. */
  restarts: number;
  /** Public tool names. */
  tools: string[];
  /** Calls answered with a `CallOutcome` (a WIT `err` included). */
  served: number;
  /** Calls that reached the component and were rejected (fault, load error, unloaded, cancelled). */
  failed: number;
  queueLength: number;
  inFlight: number;
  queueHighWater: number;
  lastCallMs?: number;
  lastError?: string;
  /** Per-agent instances open now (closing ones included). */
  instances: number;
  instanceList: InstanceSummary[];
}
