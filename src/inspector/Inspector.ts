/**
 * The inspector's collector: fed by XState's `inspect` stream of the component host, it keeps a bounded
 * event log per component and the start time of every call in flight. It must exist before the host
 * (the host takes `inspect` in its constructor), so it is created on its own and attached to the host
 * later by `startInspector`. Only created when the inspector is on.
 */
import type { InspectionEvent } from 'xstate';
import { componentMachine, redactHandle } from '../machines/index.ts';
import { eventLabeler } from './chartModel.ts';

/** One line of a component's event log. */
export interface LogEntry {
  /** Increasing over the whole inspector; lets a client ask for what it has not seen. */
  seq: number;
  /** `Date.now()` when it happened. */
  time: number;
  component: string;
  kind: 'event' | 'transition' | 'call';
  /** One readable line. */
  text: string;
  event?: string;
  from?: string;
  to?: string;
  callId?: string;
  tool?: string;
  durationMs?: number;
  /** For `call` entries: started, ok (a value), err (a WIT `err`), failed (a fault or refusal). */
  outcome?: 'started' | 'ok' | 'err' | 'failed';
  error?: string;
}

export interface InspectorOptions {
  /** Entries kept per component (oldest dropped first); default 500. */
  logLimit?: number;
  /** Logs kept for components that are gone (unloaded); default 50. */
  goneLimit?: number;
}

interface CallLike {
  callId: string;
  tool: string;
}

interface ComponentSnapshotLike {
  value: unknown;
  status: string;
  context: { id: string; generation?: number; inFlight: CallLike[] };
}

interface Tracked {
  id: string;
  state?: string;
  inFlight: Map<string, { tool: string; startedAt: number }>;
}

const COMPONENT_PREFIX = 'component:';

function stateText(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value && typeof value === 'object') {
    return Object.entries(value)
      .map(([k, v]) => {
        const sub = stateText(v);
        return sub ? `${k}.${sub}` : k;
      })
      .join(',');
  }
  return '';
}

const INSTANCE_END = /^(xstate\.(?:done|error)\.actor\.instance\.)(.+)$/;

/** `xstate.done.actor.instance.<handle>` with the handle redacted (other event types unchanged). */
function withoutHandle(eventType: string): string {
  const match = INSTANCE_END.exec(eventType);
  return match ? `${match[1]}${redactHandle(match[2] ?? '')}` : eventType;
}

/**
 * Collects what the actors do; made by `createInspector`, its `inspect` goes into
 * `new ComponentHost({ inspect })`.
 */
export class Inspector {
  readonly #logLimit: number;
  readonly #goneLimit: number;
  readonly #logs = new Map<string, LogEntry[]>();
  readonly #tracked = new Map<string, Tracked>(); // by actor sessionId
  readonly #listeners = new Set<() => void>();
  /** Names events the way the chart does (`done: loadComponent`). */
  readonly #eventText = eventLabeler(componentMachine);
  #seq = 0;

  constructor(options: InspectorOptions = {}) {
    this.#logLimit = Math.max(1, options.logLimit ?? 500);
    this.#goneLimit = Math.max(0, options.goneLimit ?? 50);
  }

  /** XState's `inspect` observer (a bound function: pass it as is). */
  readonly inspect = (event: InspectionEvent): void => {
    const ref = event.actorRef as { id?: unknown; sessionId: string };
    if (typeof ref.id !== 'string' || !ref.id.startsWith(COMPONENT_PREFIX)) {
      // The host actor's own snapshots: a component may have been added or removed.
      if (event.type === '@xstate.snapshot') this.#changed();
      return;
    }
    const component = ref.id.slice(COMPONENT_PREFIX.length);
    if (event.type === '@xstate.event') this.#onEvent(component, event.event);
    else if (event.type === '@xstate.snapshot') this.#onSnapshot(ref.sessionId, component, event);
  };

  /** The log of one component, or of all of them merged in order; `since` = last seq seen. */
  log(options: { component?: string; since?: number } = {}): LogEntry[] {
    const since = options.since ?? 0;
    const lists =
      options.component !== undefined ? [this.#logs.get(options.component) ?? []] : [...this.#logs.values()];
    return lists
      .flat()
      .filter((e) => e.seq > since)
      .sort((a, b) => a.seq - b.seq);
  }

  /** The last seq handed out. */
  get seq(): number {
    return this.#seq;
  }

  /** When each call in flight of `component` started (`Date.now()` clock), by call id. */
  callStarts(component: string): Map<string, number> {
    const starts = new Map<string, number>();
    for (const t of this.#tracked.values()) {
      if (t.id !== component) continue;
      for (const [callId, c] of t.inFlight) starts.set(callId, c.startedAt);
    }
    return starts;
  }

  /** Called (synchronously) after anything changed; returns the unsubscribe. */
  onChange(listener: () => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  #changed(): void {
    for (const listener of this.#listeners) listener();
  }

  #append(entry: Omit<LogEntry, 'seq' | 'time'>): void {
    let list = this.#logs.get(entry.component);
    if (!list) {
      list = [];
      this.#logs.set(entry.component, list);
      this.#dropGoneLogs();
    }
    list.push({ seq: ++this.#seq, time: Date.now(), ...entry });
    if (list.length > this.#logLimit) list.splice(0, list.length - this.#logLimit);
  }

  /** Keeps the logs of at most `goneLimit` components that no longer have an actor. */
  #dropGoneLogs(): void {
    const live = new Set([...this.#tracked.values()].map((t) => t.id));
    const gone = [...this.#logs.keys()].filter((id) => !live.has(id));
    for (const id of gone.slice(0, Math.max(0, gone.length - this.#goneLimit))) this.#logs.delete(id);
  }

  #onEvent(component: string, event: { type: string; [key: string]: unknown }): void {
    // The executor's report of a call's end carries `{ callId, generation, result }` (CallSettled).
    if (event.type === 'CALL.SETTLED') {
      this.#onSettled(component, event);
      return;
    }
    const callId = typeof event.callId === 'string' ? event.callId : undefined;
    const tool = typeof event.tool === 'string' ? event.tool : undefined;
    const detail = [callId, tool].filter(Boolean).join(' ');
    // An instance actor's end names its handle, a capability: the log shows it redacted.
    const type = withoutHandle(event.type);
    this.#append({
      component,
      kind: 'event',
      event: type,
      text: detail ? `${this.#eventText(type)} ${detail}` : this.#eventText(type),
      ...(callId ? { callId } : {}),
      ...(tool ? { tool } : {}),
    });
  }

  #onSettled(component: string, event: { [key: string]: unknown }): void {
    const callId = String(event.callId);
    const result = event.result as
      | { ok: true; durationMs: number; outcome: { ok: boolean } }
      | { ok: false; durationMs: number; error: unknown };
    const tool = this.#toolOf(component, callId);
    const durationMs = Math.round(result.durationMs * 10) / 10;
    if (result.ok) {
      const outcome = result.outcome.ok ? 'ok' : 'err';
      this.#append({
        component,
        kind: 'call',
        text: `${callId} ${tool ?? '?'} ${outcome === 'ok' ? 'returned' : 'returned err'} in ${durationMs} ms`,
        callId,
        ...(tool ? { tool } : {}),
        durationMs,
        outcome,
      });
      return;
    }
    const error = result.error instanceof Error ? result.error.message : String(result.error);
    this.#append({
      component,
      kind: 'call',
      text: `${callId} ${tool ?? '?'} failed after ${durationMs} ms: ${error}`,
      callId,
      ...(tool ? { tool } : {}),
      durationMs,
      outcome: 'failed',
      error,
    });
  }

  #toolOf(component: string, callId: string): string | undefined {
    for (const t of this.#tracked.values()) {
      if (t.id === component) {
        const c = t.inFlight.get(callId);
        if (c) return c.tool;
      }
    }
    return undefined;
  }

  #onSnapshot(
    sessionId: string,
    component: string,
    event: Extract<InspectionEvent, { type: '@xstate.snapshot' }>,
  ): void {
    const snapshot = event.snapshot as unknown as ComponentSnapshotLike;
    let tracked = this.#tracked.get(sessionId);
    if (!tracked) {
      tracked = { id: component, inFlight: new Map() };
      this.#tracked.set(sessionId, tracked);
    }
    const state = stateText(snapshot.value);
    if (tracked.state !== state) {
      this.#append({
        component,
        kind: 'transition',
        text:
          tracked.state === undefined
            ? `actor started in ${state} (generation ${snapshot.context.generation ?? '?'})`
            : `${tracked.state} -> ${state} (${this.#eventText(event.event.type)})`,
        ...(tracked.state !== undefined ? { from: tracked.state } : {}),
        to: state,
        event: event.event.type,
      });
      tracked.state = state;
    }
    const now = Date.now();
    const current = new Set<string>();
    for (const call of snapshot.context.inFlight ?? []) {
      current.add(call.callId);
      if (!tracked.inFlight.has(call.callId)) {
        tracked.inFlight.set(call.callId, { tool: call.tool, startedAt: now });
        this.#append({
          component,
          kind: 'call',
          text: `${call.callId} ${call.tool} started`,
          callId: call.callId,
          tool: call.tool,
          outcome: 'started',
        });
      }
    }
    // Settled calls are logged from the executor's CALL.SETTLED (which comes before this snapshot); forget them after.
    for (const callId of [...tracked.inFlight.keys()]) {
      if (!current.has(callId)) tracked.inFlight.delete(callId);
    }
    if (snapshot.status !== 'active') this.#tracked.delete(sessionId);
    this.#changed();
  }
}

/** Creates the collector; pass `inspector.inspect` as the host's `inspect` option. */
export function createInspector(options?: InspectorOptions): Inspector {
  return new Inspector(options);
}
