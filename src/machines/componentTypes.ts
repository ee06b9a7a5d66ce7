/** The types of the component actor: what it is given, what it holds, what it accepts and answers. */
import type { DoneActorEvent, ErrorActorEvent } from 'xstate';
import type {
  CallOutcome,
  ComponentInstance,
  ComponentRuntime,
  ComponentSource,
  JsonObject,
  PreparedComponent,
  PrepareOptions,
  SandboxSpec,
  ToolDefinition,
} from '../runtime/index.ts';
import type { CallQueue, CallSettled } from './calls/index.ts';
import type { Deferred } from './deferred.ts';

export type { CallInput, CallResult, CallSettled } from './calls/index.ts';

import type { InstanceEndReason, InstanceOutput } from './instanceRules.ts';

/** How long a cancelled stateful call may keep running before it is killed, unless the spec says. */
export const defaultCancelGraceMs = 2_000;
/** How many per-agent instances a stateful component may have open at once, unless the spec says. */
export const defaultMaxInstances = 16;
/** A per-agent instance without calls for this long ends (30 min), unless the spec says. */
export const defaultInstanceIdleMs = 30 * 60_000;

/** What to load and how to run it. */
export interface LoadSpec {
  source: ComponentSource;
  stateful: boolean;
  sandbox: SandboxSpec;
  /** Per-call time limit handed to the runtime; it bounds a stateful instantiation too. */
  timeoutMs: number;
  /** Stateless in-flight limit (a stateful component always serves one call at a time). */
  concurrency: number;
  /** A cancelled stateful call still running after this long is killed (default 2,000 ms). */
  cancelGraceMs?: number;
  onProgress?: PrepareOptions['onProgress'];
  /** Per-agent instances open at once (default 16). */
  maxInstances?: number;
  /** A per-agent instance ends after this long without calls (default 30 min). */
  instanceIdleMs?: number;
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

/** A tool call, as the host and a component actor receive it. */
export interface CallEvent {
  type: 'CALL';
  callId: string;
  tool: string;
  args: JsonObject;
  reply: Deferred<CallOutcome>;
  /** A per-agent instance handle; without it the component's shared instance serves the call. */
  instance?: string;
}

/** The events anyone holding the actor may send. */
export type ComponentEvent =
  | { type: 'LOAD'; spec: LoadSpec; reply?: Deferred<LoadReply> }
  | { type: 'RELOAD'; reply?: Deferred<LoadReply> }
  | CallEvent
  | { type: 'CANCEL'; callId: string }
  | { type: 'UNLOAD'; reply?: Deferred<void> }
  /** Starts a per-agent instance under `handle` (minted by the caller); replies when it is live. */
  | { type: 'OPEN_INSTANCE'; handle: string; reply: Deferred<void> }
  /** Ends a per-agent instance (`reason` default `closed`); replies when it is disposed. */
  | { type: 'CLOSE_INSTANCE'; handle: string; reply: Deferred<void>; reason?: InstanceEndReason }
  | { type: 'UPDATE_SANDBOX'; sandbox: SandboxSpec }
  /** Stops every call in flight now (shutdown); their callers get `stopped`. */
  | { type: 'KILL' };

/** Events the machine's own children and timers send: a call's end (from the executor), an instance
 * actor's end, the grace timer of a cancelled call. */
export type ComponentInternalEvent =
  | ({ type: 'CALL.SETTLED' } & CallSettled)
  | DoneActorEvent<InstanceOutput, `instance.${string}`>
  | ErrorActorEvent<unknown, `instance.${string}`>
  | { type: 'CANCEL.GRACE_EXPIRED'; callId: string };

export interface ComponentInput {
  id: string;
  runtime: ComponentRuntime;
  prepareOptions?: PrepareOptions;
  /** Starts loading at once. */
  load?: { spec: LoadSpec; reply?: Deferred<LoadReply> };
}

export interface ComponentContext {
  id: string;
  /** What loading needs (one key: the context is kept small, see the machine's `context`). */
  loader: { runtime: ComponentRuntime; prepareOptions: PrepareOptions };
  /** The spec of the current (or last) generation; its sandbox is the latest one granted. */
  spec?: LoadSpec;
  /**
   * The sandbox calls use: a stateful component keeps the one it was loaded with (a restart after a
   * fault too) until the next (re)load; a stateless one follows every update.
   */
  sandbox: SandboxSpec;
  /** A load that waits for the current generation to be unloaded (a reload), or for `unloaded`. */
  pendingLoad?: LoadSpec;
  /** Incremented by every load. */
  generation: number;
  /** Fresh instances started after a fault of a stateful instance. */
  restarts: number;
  prepared?: PreparedComponent;
  /** The live instance of a stateful component (undefined after a fault until the next call). */
  instance?: ComponentInstance;
  /** Calls waiting, in arrival order (an immutable queue: O(1) per call, see calls/CallQueue.ts). */
  queue: CallQueue<PendingCall>;
  inFlight: PendingCall[];
  /** Callers waiting for the current load, and for the unload. */
  waiters: { load: Deferred<LoadReply>[]; unload: Deferred<void>[] };
  served: number;
  failed: number;
  queueHighWater: number;
  lastCallMs?: number;
  lastError?: string;
  /** Live per-agent instances by handle (each a child actor `instance.<handle>`); `closing` once asked to end. */
  instances: Record<string, { closing?: InstanceEndReason }>;
  /** Why recent handles ended (bounded, see `rememberEnded`). */
  ended: Record<string, InstanceEndReason>;
}

export interface LoadOutput {
  prepared: PreparedComponent;
  instance?: ComponentInstance;
}

/** The top-level state of a component actor's snapshot. */
export type ComponentState = 'unloaded' | 'loading' | 'idle' | 'busy' | 'unloading';
