/**
 * The host actor: owns one component actor per loaded component (system id `component:<id>`), routes
 * calls by tool name and keeps the tool-name table.
 *
 * - Loading an id that exists is a reload (same actor, new generation, fresh instance).
 * - Unloading an unknown id is a no-op. An unloaded component's actor is stopped and its tools removed;
 *   a component whose load fails is removed the same way.
 * - Tool names: the first component keeps the plain name; a later one whose name collides gets
 *   `<id>__<name>` (see `publicToolName`). A component's names are fixed for its lifetime: a reload keeps
 *   them. `knownTools` (stored metadata) makes tools routable before the load ends; their calls wait
 *   in the component's queue.
 */
import { type ActorRefFrom, assertEvent, enqueueActions, setup } from 'xstate';
import type { ComponentRuntime, PrepareOptions, SandboxSpec, ToolDefinition } from '../runtime/index.ts';
import { componentMachine } from './componentMachine.ts';
import type { CallEvent, LoadReply, LoadSpec } from './componentTypes.ts';
import type { Deferred } from './deferred.ts';
import { type EffectParams, effect, reply } from './effects.ts';
import type { InstanceEndReason } from './instanceRules.ts';
import { MachineError } from './MachineError.ts';
import { publicToolName } from './toolNames.ts';

export type ComponentActorRef = ActorRefFrom<typeof componentMachine>;

/** The answer to a load. */
export interface LoadResult {
  id: string;
  /** The component's tools under their public names. */
  tools: ToolDefinition[];
  generation: number;
  /** True when the id existed and this load was a reload. */
  reloaded: boolean;
}

/** One component as the host sees it. */
export interface HostComponent {
  ref: ComponentActorRef;
  stateful: boolean;
  /** Runtime tool name -> public tool name; fixed for the component's lifetime. */
  names: Record<string, string>;
  /** The tools under their public names. */
  tools: ToolDefinition[];
  /** An UNLOAD was sent and no LOAD came after it. */
  unloading: boolean;
}

export interface HostContext {
  runtime: ComponentRuntime;
  prepareOptions: PrepareOptions;
  components: Record<string, HostComponent>;
  /** Public tool name -> the component and the runtime tool name behind it. */
  routes: Record<string, { componentId: string; tool: string }>;
}

/**
 * Where a call of the public tool `tool` goes: the component actor that owns it and the tool's runtime
 * name there. The host's `routeCall` and ComponentHost's direct route both read it.
 */
export function routeOf(
  context: HostContext,
  tool: string,
): { ref: ComponentActorRef; tool: string } | undefined {
  const route = context.routes[tool];
  const component = route && context.components[route.componentId];
  return component ? { ref: component.ref, tool: route.tool } : undefined;
}

/** The events callers send to the host (ComponentHost does). */
export type HostEvent =
  | {
      type: 'LOAD';
      id: string;
      spec: LoadSpec;
      knownTools?: ToolDefinition[];
      reply: Deferred<LoadResult>;
    }
  | CallEvent
  | { type: 'CANCEL'; callId: string }
  /** Opens a per-agent instance of component `id` under `handle`. */
  | { type: 'OPEN_INSTANCE'; id: string; handle: string; reply: Deferred<void> }
  /** Closes the per-agent instance `handle` of component `id`. */
  | { type: 'CLOSE_INSTANCE'; id: string; handle: string; reply: Deferred<void>; reason?: InstanceEndReason }
  /** Stops every call in flight of every component now (shutdown); their callers get `stopped`. */
  | { type: 'KILL' }
  | { type: 'UNLOAD'; id: string; reply: Deferred<boolean> }
  | { type: 'UPDATE_SANDBOX'; id: string; sandbox: SandboxSpec };

/**
 * What a component actor reports back to the host through the replies the host gave it; each names the
 * actor (`ref`), and is ignored unless that actor still holds the id.
 */
type HostInternalEvent =
  | {
      type: 'COMPONENT.LOADED';
      id: string;
      ref: ComponentActorRef;
      loaded: LoadReply;
      reloaded: boolean;
      reply: Deferred<LoadResult>;
    }
  | {
      type: 'COMPONENT.LOAD_FAILED';
      id: string;
      ref: ComponentActorRef;
      error: unknown;
      reply: Deferred<LoadResult>;
    }
  | { type: 'COMPONENT.UNLOADED'; id: string; ref: ComponentActorRef; reply: Deferred<boolean> };

export interface HostInput {
  runtime: ComponentRuntime;
  prepareOptions?: PrepareOptions;
}

/** Gives the tools not named yet their public names; returns the new names and routes. */
function nameTools(
  context: HostContext,
  id: string,
  tools: ToolDefinition[],
  names: Record<string, string>,
): { names: Record<string, string>; routes: HostContext['routes']; tools: ToolDefinition[] } {
  const routes = { ...context.routes };
  const assigned = { ...names };
  for (const tool of tools) {
    if (assigned[tool.name] !== undefined) continue;
    const name = publicToolName(id, tool.name, (n) => routes[n] !== undefined);
    assigned[tool.name] = name;
    routes[name] = { componentId: id, tool: tool.name };
  }
  return { names: assigned, routes, tools: tools.map((t) => ({ ...t, name: assigned[t.name] ?? t.name })) };
}

function unloadedError(id: string): MachineError {
  return new MachineError('unloaded', `component ${id} was unloaded`);
}

function loadError(id: string, error: unknown): MachineError {
  return error instanceof MachineError
    ? error
    : new MachineError('load-failed', `component ${id} failed to load`, { cause: error });
}

function withoutComponent(context: HostContext, id: string): Partial<HostContext> {
  const { [id]: _removed, ...components } = context.components;
  const routes = Object.fromEntries(Object.entries(context.routes).filter(([, r]) => r.componentId !== id));
  return { components, routes };
}

export const hostMachine = setup({
  types: {
    context: {} as HostContext,
    events: {} as HostEvent | HostInternalEvent,
    input: {} as HostInput,
  },
  actors: { component: componentMachine },
  guards: {
    /** The event comes from the component actor that holds the id now (not one removed since). */
    isCurrentComponent: ({ context, event }) => {
      assertEvent(event, ['COMPONENT.LOADED', 'COMPONENT.LOAD_FAILED', 'COMPONENT.UNLOADED']);
      return context.components[event.id]?.ref === event.ref;
    },
  },
  actions: {
    resolveReply: (_, params: EffectParams<'resolveReply'>) => reply.resolve(params),
    rejectReply: (_, params: EffectParams<'rejectReply'>) => reply.reject(params),
    resolveAll: (_, params: EffectParams<'resolveAll'>) => reply.resolveAll(params),
    rejectAll: (_, params: EffectParams<'rejectAll'>) => reply.rejectAll(params),
    loadComponent: enqueueActions(({ context, event, enqueue, self }) => {
      assertEvent(event, 'LOAD');
      const existing = context.components[event.id];
      const reloaded = existing !== undefined;
      // The component actor answers its load through this bridge: a message to the host, handled by
      // `recordLoaded` / `removeFailedComponent`. It is sent from a microtask: the component settles
      // replies in an action, and the host must not run its own transition inside the component's.
      const bridge = (ref: () => ComponentActorRef | undefined): Deferred<LoadReply> => ({
        resolve: (loaded) =>
          queueMicrotask(() => {
            const r = ref();
            if (r) {
              self.send({
                type: 'COMPONENT.LOADED',
                id: event.id,
                ref: r,
                loaded,
                reloaded,
                reply: event.reply,
              });
            }
          }),
        reject: (error) =>
          queueMicrotask(() => {
            const r = ref();
            if (r)
              self.send({ type: 'COMPONENT.LOAD_FAILED', id: event.id, ref: r, error, reply: event.reply });
          }),
      });
      if (existing) {
        enqueue.sendTo(existing.ref, { type: 'LOAD', spec: event.spec, reply: bridge(() => existing.ref) });
        enqueue.assign({
          components: {
            ...context.components,
            [event.id]: { ...existing, stateful: event.spec.stateful, unloading: false },
          },
        });
        return;
      }
      enqueue.assign(({ context, spawn }) => {
        let ref: ComponentActorRef | undefined;
        const spawned = spawn('component', {
          id: `component:${event.id}`,
          systemId: `component:${event.id}`,
          input: {
            id: event.id,
            runtime: context.runtime,
            prepareOptions: context.prepareOptions,
            load: { spec: event.spec, reply: bridge(() => ref) },
          },
        });
        ref = spawned;
        const named = nameTools(context, event.id, event.knownTools ?? [], {});
        return {
          components: {
            ...context.components,
            [event.id]: {
              ref: spawned,
              stateful: event.spec.stateful,
              names: named.names,
              tools: named.tools,
              unloading: false,
            },
          },
          routes: named.routes,
        };
      });
    }),
    recordLoaded: enqueueActions(({ context, event, enqueue }) => {
      assertEvent(event, 'COMPONENT.LOADED');
      const component = context.components[event.id];
      if (!component) return;
      const named = nameTools(context, event.id, event.loaded.tools, component.names);
      const result: LoadResult = {
        id: event.id,
        tools: named.tools,
        generation: event.loaded.generation,
        reloaded: event.reloaded,
      };
      enqueue(effect({ type: 'resolveReply', params: { reply: event.reply, value: result } }));
      enqueue.assign({
        components: {
          ...context.components,
          [event.id]: { ...component, names: named.names, tools: named.tools },
        },
        routes: named.routes,
      });
    }),
    removeFailedComponent: enqueueActions(({ context, event, enqueue }) => {
      assertEvent(event, 'COMPONENT.LOAD_FAILED');
      const component = context.components[event.id];
      // An unload that cut the load short is answered by the actor itself once it has unloaded
      // (COMPONENT.UNLOADED); stopping it here would leave that unload without an answer.
      if (!component || component.ref !== event.ref || component.unloading) return;
      enqueue.stopChild(component.ref);
      enqueue.assign(withoutComponent(context, event.id));
    }),
    unloadComponent: enqueueActions(({ context, event, enqueue, self }) => {
      assertEvent(event, 'UNLOAD');
      const component = context.components[event.id];
      if (!component) {
        enqueue(effect({ type: 'resolveReply', params: { reply: event.reply, value: false } }));
        return;
      }
      const { ref } = component;
      enqueue.assign({
        components: { ...context.components, [event.id]: { ...component, unloading: true } },
      });
      enqueue.sendTo(ref, {
        type: 'UNLOAD',
        reply: {
          resolve: () =>
            queueMicrotask(() =>
              self.send({ type: 'COMPONENT.UNLOADED', id: event.id, ref, reply: event.reply }),
            ),
          reject: (error) => event.reply.reject(error),
        },
      });
    }),
    removeUnloadedComponent: enqueueActions(({ context, event, enqueue }) => {
      assertEvent(event, 'COMPONENT.UNLOADED');
      const component = context.components[event.id];
      // A LOAD that came after the UNLOAD turned it into a reload: the component stays.
      if (!component || component.ref !== event.ref || !component.unloading) return;
      enqueue.stopChild(component.ref);
      enqueue.assign(withoutComponent(context, event.id));
    }),
    routeCall: enqueueActions(({ context, event, enqueue }) => {
      assertEvent(event, 'CALL');
      const route = routeOf(context, event.tool);
      if (!route) {
        const error = new MachineError(
          'unknown-tool',
          `no loaded component has a tool named "${event.tool}"`,
        );
        enqueue(effect({ type: 'rejectReply', params: { reply: event.reply, error } }));
        return;
      }
      enqueue.sendTo(route.ref, {
        type: 'CALL',
        callId: event.callId,
        tool: route.tool,
        args: event.args,
        reply: event.reply,
        ...(event.instance === undefined ? {} : { instance: event.instance }),
      });
    }),
    /** OPEN_INSTANCE and CLOSE_INSTANCE go to the component of that id, if there is one. */
    forwardInstance: enqueueActions(({ context, event, enqueue }) => {
      assertEvent(event, ['OPEN_INSTANCE', 'CLOSE_INSTANCE']);
      const component = context.components[event.id];
      if (!component) {
        const error = new MachineError('unloaded', `component ${event.id} is not loaded`);
        enqueue(effect({ type: 'rejectReply', params: { reply: event.reply, error } }));
        return;
      }
      const { type, handle, reply } = event;
      const reason = event.type === 'CLOSE_INSTANCE' ? event.reason : undefined;
      enqueue.sendTo(component.ref, { type, handle, reply, ...(reason ? { reason } : {}) });
    }),
    forwardCancel: enqueueActions(({ context, event, enqueue }) => {
      assertEvent(event, 'CANCEL');
      for (const component of Object.values(context.components)) {
        enqueue.sendTo(component.ref, { type: 'CANCEL', callId: event.callId });
      }
    }),
    forwardKill: enqueueActions(({ context, enqueue }) => {
      for (const component of Object.values(context.components))
        enqueue.sendTo(component.ref, { type: 'KILL' });
    }),
    forwardSandbox: enqueueActions(({ context, event, enqueue }) => {
      assertEvent(event, 'UPDATE_SANDBOX');
      const component = context.components[event.id];
      if (component) enqueue.sendTo(component.ref, { type: 'UPDATE_SANDBOX', sandbox: event.sandbox });
    }),
  },
}).createMachine({
  id: 'host',
  initial: 'running',
  context: ({ input }) => ({
    runtime: input.runtime,
    prepareOptions: input.prepareOptions ?? {},
    components: {},
    routes: {},
  }),
  states: {
    running: {
      on: {
        LOAD: { actions: 'loadComponent' },
        CALL: { actions: 'routeCall' },
        CANCEL: { actions: 'forwardCancel' },
        OPEN_INSTANCE: { actions: 'forwardInstance' },
        CLOSE_INSTANCE: { actions: 'forwardInstance' },
        UNLOAD: { actions: 'unloadComponent' },
        UPDATE_SANDBOX: { actions: 'forwardSandbox' },
        KILL: { actions: 'forwardKill' },
        'COMPONENT.LOADED': [
          { guard: 'isCurrentComponent', actions: 'recordLoaded' },
          {
            actions: {
              type: 'rejectReply',
              params: ({ event }) => ({ reply: event.reply, error: unloadedError(event.id) }),
            },
          },
        ],
        'COMPONENT.LOAD_FAILED': {
          actions: [
            {
              type: 'rejectReply',
              params: ({ event }) => ({ reply: event.reply, error: loadError(event.id, event.error) }),
            },
            'removeFailedComponent',
          ],
        },
        'COMPONENT.UNLOADED': {
          actions: [
            { type: 'resolveReply', params: ({ event }) => ({ reply: event.reply, value: true }) },
            'removeUnloadedComponent',
          ],
        },
      },
    },
  },
});
