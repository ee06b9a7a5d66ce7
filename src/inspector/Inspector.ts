/**
 * The inspector's collector: fed by XState's `inspect` stream of the component host (states, events,
 * queues) and by the host's call watch (each call's arguments and how it ended), it keeps a bounded
 * event log per component, the details of the last calls and the start time of every call in flight.
 * It must exist before the host (the host takes `inspect` in its constructor), so it is created on its
 * own and attached to the host later by `startInspector` (`watch`). Only created when the inspector is on.
 */
import type { InspectionEvent } from 'xstate';
import {
  type CallWatchEvent,
  type ComponentHost,
  componentMachine,
  redactHandle,
} from '../machines/index.ts';
import type { SandboxSpec } from '../runtime/index.ts';
import { CallBook, type LastErrorView } from './CallBook.ts';
import type { CallDetails, ClippedText } from './callDetails.ts';
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
  /** The per-agent instance that served the call, redacted. */
  instance?: string;
  /**
   * For `call` entries of the last `callLimit` calls: arguments, result or error, guest output (texts
   * cut to `TEXT_LIMIT` characters, environment values hidden). Dropped from older entries.
   */
  details?: CallDetails;
}

export interface InspectorOptions {
  /** Entries kept per component (oldest dropped first); default 500. */
  logLimit?: number;
  /** Logs kept for components that are gone (unloaded); default 50. */
  goneLimit?: number;
  /** Calls whose details (arguments, result, output) are kept; default 100. */
  callLimit?: number;
}

interface CallLike {
  callId: string;
  tool: string;
}

interface ComponentSnapshotLike {
  value: unknown;
  status: string;
  context: {
    id: string;
    generation?: number;
    inFlight: CallLike[];
    lastError?: string;
    sandbox?: SandboxSpec;
    spec?: { sandbox?: SandboxSpec };
  };
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

const INSTANCE_END = /^(xstate\.(done|error)\.actor\.instance\.)(.+)$/;
/** A call's end: the component executor's report (machines/calls/callExecutor.ts). */
const CALL_END = 'CALL.SETTLED';
const ANONYMOUS_ACTOR = /^x:\d+$/;
const ANONYMOUS_END = /^xstate\.(done|error)\.actor\.(x:\d+)$/;
/** Anonymous actors whose names are remembered until they end (they end within a call or two). */
const ANONYMOUS_LIMIT = 1_000;

/** `xstate.done.actor.instance.<handle>` with the handle redacted (other event types unchanged). */
function withoutHandle(eventType: string): string {
  const match = INSTANCE_END.exec(eventType);
  return match ? `${match[1]}${redactHandle(match[3] ?? '')}` : eventType;
}

/** `call c12 increment` (and the instance that serves it). */
function callName(callId: string, tool: string | undefined, instance?: string): string {
  return `call ${callId}${tool ? ` ${tool}` : ''}${instance ? ` on instance ${instance}` : ''}`;
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
  readonly #calls: CallBook;
  /** The `started` entries of calls in flight (their details are dropped with their call's). */
  readonly #startedEntries = new Map<string, LogEntry>();
  /** What actors spawned without an id run, by their generated id (`x:5` -> `disposeInstance`). */
  readonly #anonymous = new Map<string, string>();
  #seq = 0;

  constructor(options: InspectorOptions = {}) {
    this.#logLimit = Math.max(1, options.logLimit ?? 500);
    this.#goneLimit = Math.max(0, options.goneLimit ?? 50);
    this.#calls = new CallBook(options.callLimit ?? 100);
  }

  /** Watches the calls `host` sends (their arguments and ends); returns the unsubscribe. */
  watch(host: ComponentHost): () => void {
    return host.watchCalls(this.#onCall);
  }

  /** The arguments of a waiting call, short, and when it was sent. */
  queuedCall(callId: string): { args?: ClippedText; sentAt?: number } {
    const sentAt = this.#calls.pending(callId)?.sentAt;
    const args = this.#calls.argsPreview(callId);
    return { ...(args ? { args } : {}), ...(sentAt !== undefined ? { sentAt } : {}) };
  }

  /** When `component`'s last error happened and what it was (environment values hidden). */
  lastError(component: string): LastErrorView | undefined {
    return this.#calls.lastErrorOf(component);
  }

  /** `text` with `component`'s environment values hidden (for texts read from the actors, such as errors). */
  hide(component: string, text: string): string {
    for (const [value, shownAs] of this.#calls.hiddenOf(component)) text = text.split(value).join(shownAs);
    return text;
  }

  /** XState's `inspect` observer (a bound function: pass it as is). */
  readonly inspect = (event: InspectionEvent): void => {
    const ref = event.actorRef as { id?: unknown; sessionId: string; src?: unknown };
    if (event.type === '@xstate.actor' && typeof ref.id === 'string' && typeof ref.src === 'string') {
      // An actor spawned without an id (`x:5`): its end is named after what it runs (`disposeInstance`).
      if (ANONYMOUS_ACTOR.test(ref.id)) this.#rememberAnonymous(ref.id, ref.src);
    }
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

  #append(entry: Omit<LogEntry, 'seq' | 'time'>): LogEntry {
    let list = this.#logs.get(entry.component);
    if (!list) {
      list = [];
      this.#logs.set(entry.component, list);
      this.#dropGoneLogs();
    }
    const appended = { seq: ++this.#seq, time: Date.now(), ...entry };
    list.push(appended);
    if (list.length > this.#logLimit) list.splice(0, list.length - this.#logLimit);
    return appended;
  }

  /** Keeps the logs of at most `goneLimit` components that no longer have an actor. */
  #dropGoneLogs(): void {
    const live = new Set([...this.#tracked.values()].map((t) => t.id));
    const gone = [...this.#logs.keys()].filter((id) => !live.has(id));
    for (const id of gone.slice(0, Math.max(0, gone.length - this.#goneLimit))) {
      this.#logs.delete(id);
      this.#calls.forget(id);
    }
  }

  #rememberAnonymous(id: string, src: string): void {
    if (this.#anonymous.size >= ANONYMOUS_LIMIT) this.#anonymous.clear();
    this.#anonymous.set(id, src);
  }

  /** `done: disposeInstance` for the end of an actor spawned without an id, else the chart's label. */
  #label(eventType: string): string {
    const anonymous = ANONYMOUS_END.exec(eventType);
    const src = anonymous && this.#anonymous.get(anonymous[2] ?? '');
    if (src) return `${anonymous[1]}: ${src}`;
    // (`eventType` is already without its handle)
    const instanceEnd = INSTANCE_END.exec(eventType);
    if (instanceEnd) return `instance ${instanceEnd[3]} ${instanceEnd[2] === 'done' ? 'ended' : 'failed'}`;
    return eventType === 'xstate.init' ? 'actor spawned' : this.#eventText(eventType);
  }

  #onEvent(component: string, event: { type: string; [key: string]: unknown }): void {
    // A call's end is logged from the host's call watch (with its details), not as an event.
    if (event.type === CALL_END) return;
    const anonymous = ANONYMOUS_END.exec(event.type);
    const callId = typeof event.callId === 'string' ? event.callId : undefined;
    let tool = typeof event.tool === 'string' ? event.tool : undefined;
    // OPEN_INSTANCE / CLOSE_INSTANCE name a handle, CALL an instance: both capabilities, shown redacted.
    const handle = typeof event.handle === 'string' ? event.handle : event.instance;
    let instance = typeof handle === 'string' ? redactHandle(handle) : undefined;
    if (callId && event.type === 'CALL' && tool) this.#calls.reached(callId, component, tool);
    if (callId) {
      const record = this.#calls.pending(callId);
      tool ??= record?.tool ?? this.#toolOf(component, callId);
      instance ??= record?.instance;
    }
    // An instance actor's end names its handle, a capability: the log shows it redacted.
    const type = withoutHandle(event.type);
    const label = this.#label(type);
    if (anonymous) this.#anonymous.delete(anonymous[2] ?? '');
    this.#append({
      component,
      kind: 'event',
      event: type,
      text: callId
        ? `${label}: ${callName(callId, tool, instance)}`
        : instance
          ? `${label}: instance ${instance}`
          : label,
      ...(callId ? { callId } : {}),
      ...(tool ? { tool } : {}),
      ...(instance ? { instance } : {}),
    });
  }

  /** The host's call watch: a call that ended goes into its component's log with its details. */
  readonly #onCall = (event: CallWatchEvent): void => {
    const end = this.#calls.watched(event);
    if (!end) return;
    const { record, outcome, details } = end;
    const durationMs = Math.round(end.durationMs * 10) / 10;
    const name = callName(record.callId, record.tool, record.instance);
    const text =
      outcome === 'failed'
        ? `${name} failed after ${durationMs} ms: ${end.error}`
        : `${name} ${outcome === 'ok' ? 'returned' : 'returned err'} in ${durationMs} ms`;
    const entry = this.#append({
      component: record.component,
      kind: 'call',
      text,
      callId: record.callId,
      tool: record.tool,
      durationMs,
      outcome,
      ...(end.error !== undefined ? { error: end.error } : {}),
      ...(record.instance ? { instance: record.instance } : {}),
      details,
    });
    const started = this.#startedEntries.get(record.callId);
    this.#startedEntries.delete(record.callId);
    this.#calls.keepDetails(started ? [started, entry] : [entry]);
    this.#changed();
  };

  /** A transition's cause, named by what it means (`call c12 increment ended`, not `done: call.c12`). */
  #causeText(component: string, event: { type: string; [key: string]: unknown }): string {
    const end = event.type === CALL_END;
    const callId = typeof event.callId === 'string' ? event.callId : undefined;
    if (!callId) return this.#label(withoutHandle(event.type));
    const record = this.#calls.pending(callId);
    const name = callName(callId, record?.tool ?? this.#toolOf(component, callId), record?.instance);
    if (end) return `${name} ended`;
    return `${this.#eventText(event.type)}: ${name}`;
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
            : `${tracked.state} -> ${state} (${this.#causeText(component, event.event)})`,
        ...(tracked.state !== undefined ? { from: tracked.state } : {}),
        to: state,
        event: event.event.type,
      });
      tracked.state = state;
    }
    this.#calls.sawSandboxes(component, snapshot.context.sandbox, snapshot.context.spec?.sandbox);
    this.#calls.sawLastError(component, snapshot.context.lastError);
    const now = Date.now();
    const current = new Set<string>();
    for (const call of snapshot.context.inFlight ?? []) {
      current.add(call.callId);
      if (!tracked.inFlight.has(call.callId)) {
        tracked.inFlight.set(call.callId, { tool: call.tool, startedAt: now });
        const record = this.#calls.pending(call.callId);
        const started = this.#append({
          component,
          kind: 'call',
          text: `${callName(call.callId, call.tool)} started`,
          callId: call.callId,
          tool: call.tool,
          outcome: 'started',
          // The arguments now; the entry of its end adds the rest.
          ...(record ? { details: { args: this.#calls.argsOf(record) } } : {}),
        });
        if (record) this.#startedEntries.set(call.callId, started);
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
