/**
 * Reads a state chart out of a machine definition at run time (the machine's own `root` state node), so
 * the page always shows the machine that actually runs: every state, every transition with its event,
 * guard and actions, entry actions and invoked actors. XState's `toJSON()` leaves out eventless
 * (`always`) transitions, so this walks the state nodes themselves.
 */

/** One state node of the chart. */
export interface ChartState {
  /** XState's node id, e.g. `component.unloading.draining`. */
  id: string;
  key: string;
  parent?: string;
  type: string;
  /** Child state ids, in document order. */
  children: string[];
  /** The id of the initial child of a compound state. */
  initial?: string;
  entry: string[];
  exit: string[];
  /** `src` of each invoked actor. */
  invoke: string[];
}

/** One transition of the chart. */
export interface ChartTransition {
  source: string;
  /** Target state ids; empty for a targetless (internal) transition. */
  targets: string[];
  /** A readable event: `CALL`, `always`, `done: loadComponent`, `error: loadComponent`, `after 100ms`. */
  event: string;
  /** The raw event type as XState knows it (`''` for always). */
  eventType: string;
  guard?: string;
  actions: string[];
}

export interface ChartModel {
  /** The machine id (also the root state id). */
  id: string;
  /** Every state, the root first, in document order. */
  states: ChartState[];
  transitions: ChartTransition[];
}

/** The parts of an XState state node this reader uses (kept structural: no generics to satisfy). */
interface NodeLike {
  id: string;
  key: string;
  type: string;
  states: Record<string, NodeLike>;
  parent?: NodeLike;
  entry: unknown[];
  exit: unknown[];
  invoke: { id: string; src: unknown }[];
  initial?: { target?: readonly NodeLike[] };
  transitions: Map<string, TransitionLike[]>;
  always?: TransitionLike[];
}

interface TransitionLike {
  target?: readonly NodeLike[];
  guard?: unknown;
  actions: readonly unknown[];
  eventType: string;
}

/** Anything with a root state node: `componentMachine`, `hostMachine`, any `createMachine` result. */
export interface MachineLike {
  id: string;
  root: unknown;
}

function nameOf(thing: unknown, fallback: string): string {
  if (typeof thing === 'string') return thing;
  if (typeof thing === 'function') return thing.name || fallback;
  if (thing && typeof thing === 'object' && 'type' in thing && typeof thing.type === 'string') {
    return thing.type;
  }
  return fallback;
}

function readableEvent(eventType: string, invokeSrc: Map<string, string>): string {
  if (eventType === '') return 'always';
  for (const [prefix, label] of [
    ['xstate.done.actor.', 'done'],
    ['xstate.error.actor.', 'error'],
  ] as const) {
    if (eventType.startsWith(prefix)) {
      const invokeId = eventType.slice(prefix.length);
      return `${label}: ${invokeSrc.get(invokeId) ?? invokeId}`;
    }
  }
  if (eventType.startsWith('xstate.done.state.')) return 'done';
  const after = /^xstate\.after\.(\d+)\./.exec(eventType);
  if (after) return `after ${after[1]}ms`;
  return eventType;
}

function allNodes(root: NodeLike): NodeLike[] {
  const nodes: NodeLike[] = [];
  const walk = (node: NodeLike) => {
    nodes.push(node);
    for (const child of Object.values(node.states)) walk(child);
  };
  walk(root);
  return nodes;
}

function invokeSources(nodes: NodeLike[]): Map<string, string> {
  const invokeSrc = new Map<string, string>();
  for (const node of nodes) {
    for (const inv of node.invoke) invokeSrc.set(inv.id, nameOf(inv.src, inv.id));
  }
  return invokeSrc;
}

/** A function that names an event type of `machine` the way the chart does (`done: loadComponent`). */
export function eventLabeler(machine: MachineLike): (eventType: string) => string {
  const invokeSrc = invokeSources(allNodes(machine.root as NodeLike));
  return (eventType) => readableEvent(eventType, invokeSrc);
}

/** Describes `machine` as plain JSON: states and transitions. */
export function describeChart(machine: MachineLike): ChartModel {
  const nodes = allNodes(machine.root as NodeLike);

  const invokeSrc = invokeSources(nodes);

  const states: ChartState[] = nodes.map((node) => {
    const initial = node.initial?.target?.[0]?.id;
    return {
      id: node.id,
      key: node.key,
      ...(node.parent ? { parent: node.parent.id } : {}),
      type: node.type,
      children: Object.values(node.states).map((c) => c.id),
      ...(initial ? { initial } : {}),
      entry: node.entry.map((a) => nameOf(a, 'inline')),
      exit: node.exit.map((a) => nameOf(a, 'inline')),
      invoke: node.invoke.map((inv) => nameOf(inv.src, inv.id)),
    };
  });

  const transitions: ChartTransition[] = [];
  for (const node of nodes) {
    const all = [...node.transitions.values()].flat().concat(node.always ?? []);
    for (const t of all) {
      const guard = t.guard === undefined ? undefined : nameOf(t.guard, 'inline');
      transitions.push({
        source: node.id,
        targets: (t.target ?? []).map((target) => target.id),
        event: readableEvent(t.eventType, invokeSrc),
        eventType: t.eventType,
        ...(guard !== undefined ? { guard } : {}),
        actions: t.actions.map((a) => nameOf(a, 'inline')),
      });
    }
  }
  return { id: machine.id, states, transitions };
}

/**
 * The ids of the active states for a snapshot `value` (`'idle'` -> `['component', 'component.idle']`,
 * `{unloading: 'draining'}` -> `[..., 'component.unloading', 'component.unloading.draining']`).
 */
export function activeStateIds(machineId: string, value: unknown): string[] {
  const ids = [machineId];
  const visit = (prefix: string, v: unknown) => {
    if (typeof v === 'string') {
      ids.push(`${prefix}.${v}`);
      return;
    }
    if (v && typeof v === 'object') {
      for (const [key, sub] of Object.entries(v)) {
        ids.push(`${prefix}.${key}`);
        visit(`${prefix}.${key}`, sub);
      }
    }
  };
  visit(machineId, value);
  return ids;
}
