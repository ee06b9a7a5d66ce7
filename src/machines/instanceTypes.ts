/** The types of the instance actor: what it is started with, holds and accepts. */
import type {
  CallOutcome,
  ComponentInstance,
  JsonObject,
  PreparedComponent,
  SandboxSpec,
} from '../runtime/index.ts';
import type { CallQueue } from './calls/index.ts';
import type { CallSettled, PendingCall } from './componentTypes.ts';
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
  /** Settles when the instance is live (or rejects when it cannot start). */
  reply?: Deferred<void>;
}

export interface InstanceContext extends Omit<InstanceInput, 'reply'> {
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
  | ({ type: 'CALL.SETTLED' } & CallSettled);

/** The top-level states of an instance actor. */
export type InstanceState = 'starting' | 'idle' | 'busy' | 'closing' | 'closed';
