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
import type { Deferred } from './deferred.ts';

/** How long a cancelled stateful call may keep running before it is killed, unless the spec says. */
export const defaultCancelGraceMs = 2_000;

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

/** How a call ended. `instance`: a fresh stateful instance the call had to start (after a fault). */
export type CallResult =
  | { ok: true; outcome: CallOutcome; durationMs: number; instance?: ComponentInstance }
  | { ok: false; error: unknown; durationMs: number; instance?: ComponentInstance };

/** The output of a call actor, delivered as `xstate.done.actor.call.<callId>`. */
export interface CallSettled {
  callId: string;
  generation: number;
  result: CallResult;
}

/** The events anyone holding the actor may send. */
export type ComponentEvent =
  | { type: 'LOAD'; spec: LoadSpec; reply?: Deferred<LoadReply> }
  | { type: 'RELOAD'; reply?: Deferred<LoadReply> }
  | { type: 'CALL'; callId: string; tool: string; args: JsonObject; reply: Deferred<CallOutcome> }
  | { type: 'CANCEL'; callId: string }
  | { type: 'UNLOAD'; reply?: Deferred<void> }
  | { type: 'UPDATE_SANDBOX'; sandbox: SandboxSpec }
  /** Stops every call in flight now (shutdown); their callers get `stopped`. */
  | { type: 'KILL' };

/** Events the machine makes itself: its call actors' ends and the grace timer of a cancelled call. */
export type ComponentInternalEvent =
  | DoneActorEvent<CallSettled, `call.${string}`>
  | ErrorActorEvent<unknown, `call.${string}`>
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
  runtime: ComponentRuntime;
  prepareOptions: PrepareOptions;
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

export interface CallInput {
  generation: number;
  call: { callId: string; tool: string; args: JsonObject };
  stateful: boolean;
  prepared: PreparedComponent;
  instance?: ComponentInstance;
  sandbox: SandboxSpec;
  timeoutMs: number;
}

export interface LoadOutput {
  prepared: PreparedComponent;
  instance?: ComponentInstance;
}

/** The top-level state of a component actor's snapshot. */
export type ComponentState = 'unloaded' | 'loading' | 'idle' | 'busy' | 'unloading';
