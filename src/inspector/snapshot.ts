/**
 * The live picture of every component actor, as served by `GET /api/snapshot` and pushed over SSE.
 * Read from the actors' own snapshots at the moment it is asked for; the inspector only adds the
 * start times of calls in flight, which the actors do not keep.
 */
import {
  type ComponentHost,
  type ComponentSummary,
  componentMachine,
  redactHandle,
} from '../machines/index.ts';
import type { LastErrorView } from './CallBook.ts';
import type { ClippedText } from './callDetails.ts';
import { activeStateIds } from './chartModel.ts';
import type { Inspector } from './Inspector.ts';

/** A call waiting behind the busy one. */
export interface QueuedCallView {
  callId: string;
  tool: string;
  /** Its arguments, short (environment values hidden); only for the first `QUEUED_WITH_ARGS` of a queue. */
  args?: ClippedText;
  /** `Date.now()` when the host sent it. */
  sentAt?: number;
}

/** The calls of one per-agent instance (a child actor of a stateful component, with its own queue). */
export interface InstanceCallsView {
  /** The handle, shortened (it is a capability). */
  instance: string;
  running?: { callId: string; tool: string };
  /** In the order they will run. */
  queuedCalls: QueuedCallView[];
}

/** Queued calls listed with their arguments; the rest of a long queue by id and tool only. */
const QUEUED_WITH_ARGS = 20;

/** A call in flight. */
export interface InFlightCallView {
  callId: string;
  tool: string;
  /** A stateful call that was cancelled: it runs to its end, its reply is dropped. */
  cancelled: boolean;
  /** `Date.now()` when it started, when the inspector saw it start. */
  startedAt?: number;
  runningMs?: number;
}

/** One component actor. */
export interface ComponentView extends ComponentSummary {
  /** XState's state value, e.g. `'busy'` or `{unloading: 'draining'}`. */
  stateValue: unknown;
  /** Ids of the active state nodes of the chart (`component`, `component.busy`). */
  activeStates: string[];
  /** In the order they will run. */
  queuedCalls: QueuedCallView[];
  inFlightCalls: InFlightCallView[];
  /** Per-agent instances with a call running or waiting. */
  instanceCalls: InstanceCallsView[];
  /** When the last error happened and which call it was (its text is `lastError`, environment values hidden). */
  lastErrorAt?: LastErrorView;
}

export interface InspectorSnapshot {
  /** `Date.now()` when the snapshot was taken. */
  time: number;
  /** The machine id of the component actors (the chart's root). */
  machine: string;
  components: ComponentView[];
  /** The newest event-log sequence number. */
  logSeq: number;
}

/** The chart's root: every component actor runs this machine. */
const MACHINE_ID = componentMachine.id;

const INSTANCE_PREFIX = 'instance.';

interface InstanceSnapshotLike {
  context?: { queue?: { callId: string; tool: string }[]; current?: { callId: string; tool: string } };
}

function queuedView(
  inspector: Inspector,
  // an array, or the machines' CallQueue (which maps the same way)
  calls: { map<U>(fn: (call: { callId: string; tool: string }, index: number) => U): U[] },
): QueuedCallView[] {
  return calls.map((c, i) => ({
    callId: c.callId,
    tool: c.tool,
    ...(i < QUEUED_WITH_ARGS ? inspector.queuedCall(c.callId) : {}),
  }));
}

/** The per-agent instances (child actors `instance.<handle>`) that have a call running or waiting. */
function instanceCalls(
  inspector: Inspector,
  children: Record<string, unknown> | undefined,
): InstanceCallsView[] {
  const views: InstanceCallsView[] = [];
  for (const [id, child] of Object.entries(children ?? {})) {
    if (!id.startsWith(INSTANCE_PREFIX)) continue;
    const context = (child as { getSnapshot(): InstanceSnapshotLike }).getSnapshot().context;
    const current = context?.current;
    const queue = context?.queue ?? [];
    if (!current && queue.length === 0) continue;
    views.push({
      instance: redactHandle(id.slice(INSTANCE_PREFIX.length)),
      ...(current ? { running: { callId: current.callId, tool: current.tool } } : {}),
      queuedCalls: queuedView(inspector, queue),
    });
  }
  return views;
}

/** Takes the snapshot. */
export function takeSnapshot(host: ComponentHost, inspector: Inspector): InspectorSnapshot {
  const now = Date.now();
  const refs = host.system.getSnapshot().context.components;
  const components = host.list().map((summary): ComponentView => {
    const snapshot = refs[summary.id]?.ref.getSnapshot();
    const context = snapshot?.context;
    const starts = inspector.callStarts(summary.id);
    const hide = (text: string) => inspector.hide(summary.id, text);
    const lastErrorAt = inspector.lastError(summary.id);
    return {
      ...summary,
      ...(summary.lastError !== undefined ? { lastError: hide(summary.lastError) } : {}),
      ...(lastErrorAt && summary.lastError !== undefined ? { lastErrorAt } : {}),
      instanceList: summary.instanceList.map((i) =>
        i.lastError === undefined ? i : { ...i, lastError: hide(i.lastError) },
      ),
      stateValue: snapshot?.value ?? summary.state,
      activeStates: activeStateIds(MACHINE_ID, snapshot?.value ?? summary.state),
      queuedCalls: queuedView(inspector, context?.queue ?? []),
      instanceCalls: instanceCalls(inspector, snapshot?.children),
      inFlightCalls: (context?.inFlight ?? []).map((c) => {
        const startedAt = starts.get(c.callId);
        return {
          callId: c.callId,
          tool: c.tool,
          cancelled: c.cancelled === true,
          ...(startedAt !== undefined ? { startedAt, runningMs: now - startedAt } : {}),
        };
      }),
    };
  });
  return { time: now, machine: MACHINE_ID, components, logSeq: inspector.seq };
}
