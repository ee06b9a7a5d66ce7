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
import { type ActorRefFrom, assign, enqueueActions, setup } from 'xstate';
import type {
  CallOutcome,
  ComponentRuntime,
  JsonObject,
  PrepareOptions,
  SandboxSpec,
  ToolDefinition,
} from '../runtime/index.ts';
import { componentMachine, type LoadReply, type LoadSpec } from './componentMachine.ts';
import type { Deferred } from './deferred.ts';
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

export type HostEvent =
  | {
      type: 'LOAD';
      id: string;
      spec: LoadSpec;
      knownTools?: ToolDefinition[];
      reply: Deferred<LoadResult>;
    }
  | { type: 'CALL'; callId: string; tool: string; args: JsonObject; reply: Deferred<CallOutcome> }
  | { type: 'CANCEL'; callId: string }
  | { type: 'UNLOAD'; id: string; reply: Deferred<boolean> }
  | { type: 'UPDATE_SANDBOX'; id: string; sandbox: SandboxSpec }
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

function withoutComponent(context: HostContext, id: string): Partial<HostContext> {
  const { [id]: _removed, ...components } = context.components;
  const routes = Object.fromEntries(Object.entries(context.routes).filter(([, r]) => r.componentId !== id));
  return { components, routes };
}

export const hostMachine = setup({
  types: {
    context: {} as HostContext,
    events: {} as HostEvent,
    input: {} as HostInput,
  },
  actors: { component: componentMachine },
  actions: {
    loadComponent: enqueueActions(({ context, event, enqueue, self }) => {
      if (event.type !== 'LOAD') return;
      const existing = context.components[event.id];
      const reloaded = existing !== undefined;
      const bridge = (ref: () => ComponentActorRef | undefined): Deferred<LoadReply> => ({
        resolve: (loaded) => {
          const r = ref();
          if (r)
            self.send({
              type: 'COMPONENT.LOADED',
              id: event.id,
              ref: r,
              loaded,
              reloaded,
              reply: event.reply,
            });
        },
        reject: (error) => {
          const r = ref();
          if (r)
            self.send({ type: 'COMPONENT.LOAD_FAILED', id: event.id, ref: r, error, reply: event.reply });
        },
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
    recordLoaded: assign(({ context, event }) => {
      if (event.type !== 'COMPONENT.LOADED') return {};
      const component = context.components[event.id];
      if (!component || component.ref !== event.ref) {
        event.reply.reject(new MachineError('unloaded', `component ${event.id} was unloaded`));
        return {};
      }
      const named = nameTools(context, event.id, event.loaded.tools, component.names);
      event.reply.resolve({
        id: event.id,
        tools: named.tools,
        generation: event.loaded.generation,
        reloaded: event.reloaded,
      });
      return {
        components: {
          ...context.components,
          [event.id]: { ...component, names: named.names, tools: named.tools },
        },
        routes: named.routes,
      };
    }),
    removeFailedComponent: enqueueActions(({ context, event, enqueue }) => {
      if (event.type !== 'COMPONENT.LOAD_FAILED') return;
      event.reply.reject(
        event.error instanceof MachineError
          ? event.error
          : new MachineError('load-failed', `component ${event.id} failed to load`, { cause: event.error }),
      );
      const component = context.components[event.id];
      // An unload that cut the load short is answered by the actor itself once it has unloaded
      // (COMPONENT.UNLOADED); stopping it here would leave that unload without an answer.
      if (!component || component.ref !== event.ref || component.unloading) return;
      enqueue.stopChild(component.ref);
      enqueue.assign(withoutComponent(context, event.id));
    }),
    unloadComponent: enqueueActions(({ context, event, enqueue, self }) => {
      if (event.type !== 'UNLOAD') return;
      const component = context.components[event.id];
      if (!component) {
        event.reply.resolve(false);
        return;
      }
      const { ref } = component;
      enqueue.assign({
        components: { ...context.components, [event.id]: { ...component, unloading: true } },
      });
      enqueue.sendTo(ref, {
        type: 'UNLOAD',
        reply: {
          resolve: () => self.send({ type: 'COMPONENT.UNLOADED', id: event.id, ref, reply: event.reply }),
          reject: (error) => event.reply.reject(error),
        },
      });
    }),
    removeUnloadedComponent: enqueueActions(({ context, event, enqueue }) => {
      if (event.type !== 'COMPONENT.UNLOADED') return;
      event.reply.resolve(true);
      const component = context.components[event.id];
      // A LOAD that came after the UNLOAD turned it into a reload: the component stays.
      if (!component || component.ref !== event.ref || !component.unloading) return;
      enqueue.stopChild(component.ref);
      enqueue.assign(withoutComponent(context, event.id));
    }),
    routeCall: enqueueActions(({ context, event, enqueue }) => {
      if (event.type !== 'CALL') return;
      const route = context.routes[event.tool];
      const component = route && context.components[route.componentId];
      if (!route || !component) {
        event.reply.reject(
          new MachineError('unknown-tool', `no loaded component has a tool named "${event.tool}"`),
        );
        return;
      }
      enqueue.sendTo(component.ref, {
        type: 'CALL',
        callId: event.callId,
        tool: route.tool,
        args: event.args,
        reply: event.reply,
      });
    }),
    forwardCancel: enqueueActions(({ context, event, enqueue }) => {
      if (event.type !== 'CANCEL') return;
      for (const component of Object.values(context.components)) {
        enqueue.sendTo(component.ref, { type: 'CANCEL', callId: event.callId });
      }
    }),
    forwardSandbox: enqueueActions(({ context, event, enqueue }) => {
      if (event.type !== 'UPDATE_SANDBOX') return;
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
        UNLOAD: { actions: 'unloadComponent' },
        UPDATE_SANDBOX: { actions: 'forwardSandbox' },
        'COMPONENT.LOADED': { actions: 'recordLoaded' },
        'COMPONENT.LOAD_FAILED': { actions: 'removeFailedComponent' },
        'COMPONENT.UNLOADED': { actions: 'removeUnloadedComponent' },
      },
    },
  },
});
