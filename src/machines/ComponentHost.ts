/**
 * The promise-based facade over the host actor that the MCP layer uses. Every actor of the system is
 * observable through the `inspect` option (the inspector needs it) and through `subscribe`.
 */
import { availableParallelism } from 'node:os';
import {
  type Actor,
  type AnyActorRef,
  createActor,
  type InspectionEvent,
  type Observer,
  type Subscription,
} from 'xstate';
import {
  type CallOutcome,
  type ComponentRuntime,
  type ComponentSource,
  defaultTimeoutMs,
  type JsonObject,
  type PreparedComponent,
  type PrepareOptions,
  type SandboxSpec,
  type ToolDefinition,
  transient,
} from '../runtime/index.ts';
import {
  type CallEvent,
  type ComponentState,
  defaultCancelGraceMs,
  defaultInstanceIdleMs,
  defaultMaxInstances,
} from './componentTypes.ts';
import { type CallWatchEvent, CallWatchers, createDeferred } from './deferred.ts';
import { type HostComponent, hostMachine, type LoadResult, routeOf } from './hostMachine.ts';
import {
  type InstanceEndReason,
  instanceActorId,
  redactHandle,
  unknownInstanceError,
} from './instanceRules.ts';
import type { ComponentSummary, InstanceContext, InstanceState, InstanceSummary } from './instanceTypes.ts';
import { MachineError } from './MachineError.ts';

/** What to load. */
export interface LoadRequest {
  id: string;
  source: ComponentSource;
  stateful: boolean;
  /** Default `{}` (nothing granted). */
  sandbox?: SandboxSpec;
  /** Per call; default 30 000 (or the host's `defaultTimeoutMs`). */
  timeoutMs?: number;
  /** Stateless in-flight limit; default `os.availableParallelism()`. */
  concurrency?: number;
  /** A cancelled stateful call still running after this long is killed; default the host's. */
  cancelGraceMs?: number;
  /** From stored metadata: routable at once, their calls wait for the load. */
  knownTools?: ToolDefinition[];
  onProgress?: PrepareOptions['onProgress'];
}

export interface ComponentHostOptions {
  runtime: ComponentRuntime;
  /** XState's `inspect` option: sees every actor of the system. */
  inspect?: Observer<InspectionEvent> | ((event: InspectionEvent) => void);
  defaultTimeoutMs?: number;
  /** A cancelled stateful call still running after this long is killed (instance restarted); 2,000 ms. */
  cancelGraceMs?: number;
  /** `stop()` waits this long for calls in flight, then kills their workers; default 2,000 ms. */
  stopGraceMs?: number;
  prepareOptions?: PrepareOptions;
  /** Per-agent instances a stateful component may have open at once (default 16). */
  maxInstances?: number;
  /** A per-agent instance without calls for this long ends (default 30 min; `--instance-idle`). */
  instanceIdleMs?: number;
}

/** How many handles the host remembers the component of (older ones are answered as unknown). */
const OWNER_MEMORY = 16_384;

/** The options of every call's abort listener. */
const ONCE = { once: true } as const;

/** How long `stop()` lets calls in flight finish before it kills them. */
export const defaultStopGraceMs = 2_000;

/**
 * Loads, calls and unloads components through the actor system.
 *
 * Semantics (details in componentMachine.ts and hostMachine.ts): loading an id that exists is a reload
 * (new generation, fresh instance, tool names kept); unloading an unknown id is a no-op; a tool name that
 * collides with one of an earlier component becomes `<id>__<name>`; cancelling a call (its `signal`)
 * removes it from the queue, kills it when stateless, and when stateful lets it finish (killing it and
 * restarting the instance after `cancelGraceMs`), drops its reply and rejects at once with `cancelled`.
 */
export class ComponentHost {
  /** The xstate root actor (the host actor), for the inspector. */
  readonly system: Actor<typeof hostMachine>;
  readonly #defaultTimeoutMs: number;
  readonly #cancelGraceMs: number;
  readonly #stopGraceMs: number;
  readonly #maxInstances: number;
  readonly #instanceIdleMs: number;
  /** Handle -> the component that opened it: `closeInstance` gets only the handle. */
  readonly #owners = new Map<string, string>();
  readonly #listeners = new Set<(summaryList: ComponentSummary[]) => void>();
  readonly #callWatchers = new CallWatchers();
  /** While someone subscribes: the host's subscription and one per component actor. */
  #watching: { host: Subscription; components: Map<AnyActorRef, Subscription> } | undefined;
  #nextCallId = 0;
  #stopped = false;

  constructor(options: ComponentHostOptions) {
    this.#defaultTimeoutMs = options.defaultTimeoutMs ?? defaultTimeoutMs;
    this.#cancelGraceMs = options.cancelGraceMs ?? defaultCancelGraceMs;
    this.#stopGraceMs = options.stopGraceMs ?? defaultStopGraceMs;
    this.#maxInstances = options.maxInstances ?? defaultMaxInstances;
    this.#instanceIdleMs = options.instanceIdleMs ?? defaultInstanceIdleMs;
    // XState builds inspection events only when `inspect` is given: without an inspector, none (about a
    // quarter of the actor's cost per call in bench/actor.bench.ts).
    this.system = createActor(hostMachine, {
      input: {
        runtime: options.runtime,
        ...(options.prepareOptions ? { prepareOptions: options.prepareOptions } : {}),
      },
      ...(options.inspect ? { inspect: options.inspect } : {}),
    });
    this.system.start();
  }

  /**
   * Loads a component; an id that exists is reloaded (new generation, fresh instance). Bytes given as
   * the source are let go once the load has ended (see runtime/prepare/transientSource.ts).
   */
  load(req: LoadRequest): Promise<LoadResult> {
    if (this.#stopped) return Promise.reject(new MachineError('stopped', 'the component host was stopped'));
    const { promise, deferred } = createDeferred<LoadResult>();
    const { source, release } = transient(req.source);
    this.system.send({
      type: 'LOAD',
      id: req.id,
      spec: {
        source,
        stateful: req.stateful,
        sandbox: req.sandbox ?? {},
        timeoutMs: req.timeoutMs ?? this.#defaultTimeoutMs,
        concurrency: Math.max(1, req.concurrency ?? availableParallelism()),
        cancelGraceMs: req.cancelGraceMs ?? this.#cancelGraceMs,
        maxInstances: this.#maxInstances,
        instanceIdleMs: this.#instanceIdleMs,
        ...(req.onProgress ? { onProgress: req.onProgress } : {}),
      },
      ...(req.knownTools ? { knownTools: req.knownTools } : {}),
      reply: deferred,
    });
    return promise.finally(release);
  }

  /**
   * Calls a tool by its public name. Faults and refusals reject with a `MachineError`. With `instance`
   * (a handle from `openInstance`), that per-agent instance serves it, or the call is rejected.
   */
  call(
    tool: string,
    args: JsonObject,
    options?: { signal?: AbortSignal; instance?: string },
  ): Promise<CallOutcome> {
    if (this.#stopped) return Promise.reject(new MachineError('stopped', 'the component host was stopped'));
    const signal = options?.signal;
    const callId = `c${++this.#nextCallId}`;
    if (signal?.aborted) return Promise.reject(new MachineError('cancelled', `call ${callId} was cancelled`));
    const { promise, deferred } = createDeferred<CallOutcome>();
    let reply = deferred;
    if (signal) {
      // The abort listener goes when the call is answered (no extra promise per call to remove it).
      const onAbort = () => this.system.send({ type: 'CANCEL', callId });
      signal.addEventListener('abort', onAbort, ONCE);
      reply = {
        resolve(value) {
          signal.removeEventListener('abort', onAbort);
          deferred.resolve(value);
        },
        reject(error) {
          signal.removeEventListener('abort', onAbort);
          deferred.reject(error);
        },
      };
    }
    const instance = options?.instance;
    if (this.#callWatchers.size > 0) this.#callWatchers.report(callId, tool, args, instance, promise);
    this.#route(
      instance === undefined
        ? { type: 'CALL', callId, tool, args, reply }
        : { type: 'CALL', callId, tool, args, reply, instance },
    );
    return promise;
  }

  /**
   * Hands a call to the component actor that owns its tool, as the host's `routeCall` would (both use
   * `routeOf` on the host's routing table, its context), sent straight to the component
   * actor, whose queue decides when it runs. That saves the host actor a macrostep per call (a
   * snapshot and its allocations: about a tenth of the actor path's cost). The host's mailbox is empty
   * here (`call` is never made from inside one of its transitions), so the table read is the one the
   * host would use, and the events of one caller still reach the component in the order sent. A tool
   * without a route goes to the host, which answers `unknown-tool`.
   */
  #route(event: CallEvent): void {
    const route = routeOf(this.system.getSnapshot().context, event.tool);
    if (!route) {
      this.system.send(event);
      return;
    }
    event.tool = route.tool;
    route.ref.send(event);
  }

  /** Calls `watcher` with each call sent from now on and how it ended (read-only); returns the unsubscribe. */
  watchCalls(watcher: (event: CallWatchEvent) => void): () => void {
    return this.#callWatchers.add(watcher);
  }

  /**
   * Opens a fresh per-agent instance of a stateful component under `handle` (minted by the caller:
   * unguessable); resolves once it is live. Rejects with `not-stateful`, `instance-limit`, `loading`,
   * `unloaded` or the instance's start failure.
   */
  async openInstance(componentId: string, handle: string): Promise<void> {
    if (this.#stopped) throw new MachineError('stopped', 'the component host was stopped');
    const { promise, deferred } = createDeferred<void>();
    this.system.send({ type: 'OPEN_INSTANCE', id: componentId, handle, reply: deferred });
    await promise;
    this.#owners.delete(handle);
    this.#owners.set(handle, componentId);
    for (const old of this.#owners.keys()) {
      if (this.#owners.size <= OWNER_MEMORY) break;
      this.#owners.delete(old);
    }
  }

  /**
   * Closes a per-agent instance; resolves once it is disposed. Rejects saying why when it cannot.
   * `reason` (default `closed`) is what later calls of the handle are told.
   */
  closeInstance(handle: string, reason?: InstanceEndReason): Promise<void> {
    if (this.#stopped) return Promise.reject(new MachineError('stopped', 'the component host was stopped'));
    const componentId = this.#owners.get(handle);
    if (componentId === undefined) {
      return Promise.reject(
        new MachineError(
          'instance-unknown',
          `instance ${redactHandle(handle)} is unknown to this server (never opened here, or ended long ago). Open one with open-instance.`,
        ),
      );
    }
    const { promise, deferred } = createDeferred<void>();
    this.system.send({
      type: 'CLOSE_INSTANCE',
      id: componentId,
      handle,
      reply: deferred,
      ...(reason ? { reason } : {}),
    });
    return promise.catch((error: unknown) => {
      // The component is gone (unloaded): the handle ended with it.
      if (error instanceof MachineError && error.code === 'unloaded')
        throw unknownInstanceError(componentId, handle);
      throw error;
    });
  }

  /** The component that opened `handle`, while the host remembers it. */
  instanceOwner(handle: string): string | undefined {
    return this.#owners.get(handle);
  }

  /** Unloads a component: true when it existed, false (and nothing done) for an unknown id. */
  unload(id: string): Promise<boolean> {
    if (this.#stopped) return Promise.reject(new MachineError('stopped', 'the component host was stopped'));
    return this.#unload(id);
  }

  #unload(id: string): Promise<boolean> {
    const { promise, deferred } = createDeferred<boolean>();
    this.system.send({ type: 'UNLOAD', id, reply: deferred });
    return promise;
  }

  /** Every component with its state and counters. */
  list(): ComponentSummary[] {
    return Object.entries(this.system.getSnapshot().context.components).map(([id, c]) => summarize(id, c));
  }

  /** Every routable tool under its public name, with whether its component is stateful. */
  tools(): { componentId: string; tool: ToolDefinition; stateful: boolean }[] {
    return Object.entries(this.system.getSnapshot().context.components).flatMap(([componentId, c]) =>
      c.tools.map((tool) => ({ componentId, tool, stateful: c.stateful })),
    );
  }

  /**
   * The prepared component behind `id` with the sandbox and time limit its calls get, for work that
   * makes its own fresh instances (`check-component`); undefined while it is not loaded.
   */
  prepared(id: string): { prepared: PreparedComponent; sandbox: SandboxSpec; timeoutMs: number } | undefined {
    const context = this.system.getSnapshot().context.components[id]?.ref.getSnapshot().context;
    if (!context?.prepared) return undefined;
    return {
      prepared: context.prepared,
      sandbox: context.sandbox,
      timeoutMs: context.spec?.timeoutMs ?? this.#defaultTimeoutMs,
    };
  }

  /**
   * Replaces a component's sandbox. Stateless: the next call uses it. Stateful: the live instance keeps
   * its sandbox, the new one applies from the next reload (`reloadNeeded: true`).
   */
  updateSandbox(id: string, sandbox: SandboxSpec): { reloadNeeded: boolean } {
    const component = this.system.getSnapshot().context.components[id];
    if (!component) return { reloadNeeded: false };
    this.system.send({ type: 'UPDATE_SANDBOX', id, sandbox });
    return { reloadNeeded: component.stateful };
  }

  /** Calls `listener` with the summaries after every change of any actor; returns the unsubscribe. */
  subscribe(listener: (summaryList: ComponentSummary[]) => void): () => void {
    this.#listeners.add(listener);
    if (!this.#watching) {
      const components = new Map<AnyActorRef, Subscription>();
      const host = this.system.subscribe(() => {
        this.#watchComponents(components);
        this.#notify();
      });
      this.#watching = { host, components };
      this.#watchComponents(components);
    }
    return () => {
      this.#listeners.delete(listener);
      if (this.#listeners.size === 0) this.#unwatch();
    };
  }

  /** Follows the snapshots of the component actors that exist now, and only those. */
  #watchComponents(watched: Map<AnyActorRef, Subscription>): void {
    const refs = new Set(Object.values(this.system.getSnapshot().context.components).map((c) => c.ref));
    for (const [ref, subscription] of watched) {
      if (!refs.has(ref)) {
        subscription.unsubscribe();
        watched.delete(ref);
      }
    }
    for (const ref of refs) {
      if (!watched.has(ref))
        watched.set(
          ref,
          ref.subscribe(() => this.#notify()),
        );
    }
  }

  #unwatch(): void {
    if (!this.#watching) return;
    this.#watching.host.unsubscribe();
    for (const subscription of this.#watching.components.values()) subscription.unsubscribe();
    this.#watching = undefined;
  }

  /**
   * Unloads everything and stops the actor system. Calls in flight get `stopGraceMs` to finish; then
   * they are killed (their callers get `stopped`, their workers end) and the unloads complete.
   */
  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    let timer: NodeJS.Timeout | undefined;
    try {
      const unloads = Promise.all(
        Object.keys(this.system.getSnapshot().context.components).map((id) => this.#unload(id)),
      );
      const grace = new Promise<'late'>((resolve) => {
        timer = setTimeout(() => resolve('late'), this.#stopGraceMs);
      });
      if ((await Promise.race([unloads, grace])) === 'late') {
        this.system.send({ type: 'KILL' });
        await unloads;
      }
    } finally {
      clearTimeout(timer);
      this.#unwatch();
      this.system.stop();
      this.#listeners.clear();
    }
  }

  #notify(): void {
    const summaries = this.list();
    for (const listener of this.#listeners) listener(summaries);
  }
}

function summarize(id: string, component: HostComponent): ComponentSummary {
  const snapshot = component.ref.getSnapshot();
  const { context } = snapshot;
  const value = snapshot.value;
  const state = (typeof value === 'string' ? value : Object.keys(value)[0]) as ComponentState;
  return {
    id,
    stateful: component.stateful,
    state,
    generation: context.generation,
    restarts: context.restarts,
    tools: component.tools.map((t) => t.name),
    served: context.served,
    failed: context.failed,
    queueLength: context.queue.length,
    inFlight: context.inFlight.length,
    queueHighWater: context.queueHighWater,
    ...(context.lastCallMs !== undefined ? { lastCallMs: context.lastCallMs } : {}),
    ...(context.lastError !== undefined ? { lastError: context.lastError } : {}),
    instances: Object.keys(context.instances).length,
    instanceList: Object.keys(context.instances).flatMap((handle) => {
      const child = snapshot.children[instanceActorId(handle)];
      const instance = child?.getSnapshot();
      return instance && 'value' in instance ? [summarizeInstance(handle, instance)] : [];
    }),
  };
}

function summarizeInstance(
  handle: string,
  snapshot: { value: unknown; context: InstanceContext },
): InstanceSummary {
  const { context } = snapshot;
  return {
    handle: redactHandle(handle),
    state: snapshot.value as InstanceState,
    queueLength: context.queue.length,
    inFlight: context.current ? 1 : 0,
    served: context.served,
    failed: context.failed,
    restarts: context.restarts,
    ...(context.lastError !== undefined ? { lastError: context.lastError } : {}),
  };
}
