/**
 * The inspector's memory of calls: each call from the moment the host sends it (`ComponentHost.watchCalls`)
 * until it ends, the details (arguments, result or error, output) of the last `callLimit` calls, the
 * environment values to hide per component, and when each component's last error happened.
 */
import { type CallWatchEvent, redactHandle } from '../machines/index.ts';
import type { JsonObject, SandboxSpec } from '../runtime/index.ts';
import {
  type CallDetails,
  type ClippedText,
  clip,
  errorText,
  failureDetails,
  type HiddenValues,
  hiddenValues,
  jsonText,
  outcomeDetails,
} from './callDetails.ts';

/** Characters of the arguments shown for a queued call. */
const QUEUED_ARGS_LIMIT = 200;

/** A call the host sent that has not ended. */
export interface PendingCallRecord {
  callId: string;
  /** The component's own tool name once its actor got the call (the public name before). */
  tool: string;
  args: JsonObject;
  /** `Date.now()` when the host sent it. */
  sentAt: number;
  component?: string;
  /** The per-agent instance that serves it, redacted (a handle is a capability). */
  instance?: string;
  /** Its arguments as shown for a queued call (made once, when first asked). */
  argsPreview?: ClippedText;
}

/** A component's last error: when, what, and which call when a call failed. */
export interface LastErrorView {
  time: number;
  text: string;
  callId?: string;
  tool?: string;
}

/** How a call ended, for the log. */
export interface CallEnd {
  record: PendingCallRecord & { component: string };
  outcome: 'ok' | 'err' | 'failed';
  /** ms the guest ran (ok/err), or from sending to failing. */
  durationMs: number;
  details: CallDetails;
  error?: string;
}

interface Holder {
  details?: CallDetails;
}

interface Sandboxes {
  current?: SandboxSpec | undefined;
  spec?: SandboxSpec | undefined;
  hidden: HiddenValues;
}

/** See the module comment. */
export class CallBook {
  readonly #callLimit: number;
  readonly #pending = new Map<string, PendingCallRecord>();
  /** The log entries that hold details, per call, oldest call first; at most `callLimit` calls. */
  readonly #detailed: Holder[][] = [];
  readonly #sandboxes = new Map<string, Sandboxes>();
  readonly #lastErrors = new Map<string, LastErrorView & { raw: string }>();

  constructor(callLimit: number) {
    this.#callLimit = Math.max(1, callLimit);
  }

  /** The host sent a call, or one ended; an ended call is returned for the log (when its component is known). */
  watched(event: CallWatchEvent): CallEnd | undefined {
    if (event.type === 'sent') {
      this.#pending.set(event.callId, {
        callId: event.callId,
        tool: event.tool,
        args: event.args,
        sentAt: Date.now(),
        ...(event.instance === undefined ? {} : { instance: redactHandle(event.instance) }),
      });
      return undefined;
    }
    const record = this.#pending.get(event.callId);
    this.#pending.delete(event.callId);
    if (!record?.component) return undefined; // never reached a component (unknown tool): not in any log
    const known = record as PendingCallRecord & { component: string };
    const hidden = this.hiddenOf(known.component);
    if (event.type === 'settled') {
      const { outcome } = event;
      return {
        record: known,
        outcome: outcome.ok ? 'ok' : 'err',
        durationMs: outcome.durationMs,
        details: outcomeDetails(known.args, outcome, hidden),
      };
    }
    const error = clip(errorText(event.error), hidden).text;
    this.#setLastError(known.component, errorText(event.error), error, known);
    return {
      record: known,
      outcome: 'failed',
      durationMs: Date.now() - known.sentAt,
      details: failureDetails(known.args, event.error, hidden),
      error,
    };
  }

  /** The component actor of `component` got call `callId` (its own tool name is `tool`). */
  reached(callId: string, component: string, tool: string): PendingCallRecord | undefined {
    const record = this.#pending.get(callId);
    if (record) {
      record.component = component;
      record.tool = tool;
    }
    return record;
  }

  pending(callId: string): PendingCallRecord | undefined {
    return this.#pending.get(callId);
  }

  /** The arguments of a call, as the log shows them. */
  argsOf(record: PendingCallRecord): ClippedText {
    return clip(jsonText(record.args), record.component ? this.hiddenOf(record.component) : []);
  }

  /** The arguments of a queued call, short. */
  argsPreview(callId: string): ClippedText | undefined {
    const record = this.#pending.get(callId);
    if (!record?.component) return undefined;
    record.argsPreview ??= clip(jsonText(record.args), this.hiddenOf(record.component), QUEUED_ARGS_LIMIT);
    return record.argsPreview;
  }

  /** Details for the entries of one call (both share the object); the oldest call's are dropped past the limit. */
  keepDetails(entries: Holder[]): void {
    this.#detailed.push(entries);
    while (this.#detailed.length > this.#callLimit) {
      for (const entry of this.#detailed.shift() ?? []) delete entry.details;
    }
  }

  /** The sandboxes a component's actor holds (read from its snapshot): their env values are hidden. */
  sawSandboxes(component: string, current: SandboxSpec | undefined, spec: SandboxSpec | undefined): void {
    const known = this.#sandboxes.get(component);
    if (known && known.current === current && known.spec === spec) return;
    this.#sandboxes.set(component, { current, spec, hidden: hiddenValues(current?.env, spec?.env) });
  }

  hiddenOf(component: string): HiddenValues {
    return this.#sandboxes.get(component)?.hidden ?? [];
  }

  /** The actor's `lastError` as of its newest snapshot: a new text is timed now. */
  sawLastError(component: string, raw: string | undefined): void {
    if (raw === undefined || this.#lastErrors.get(component)?.raw === raw) return;
    this.#setLastError(component, raw, clip(raw, this.hiddenOf(component)).text);
  }

  lastErrorOf(component: string): LastErrorView | undefined {
    const last = this.#lastErrors.get(component);
    if (!last) return undefined;
    const { raw: _raw, ...view } = last;
    return view;
  }

  /** Forgets what is kept about a component that is gone. */
  forget(component: string): void {
    this.#sandboxes.delete(component);
    this.#lastErrors.delete(component);
  }

  #setLastError(component: string, raw: string, text: string, call?: PendingCallRecord): void {
    this.#lastErrors.set(component, {
      time: Date.now(),
      text,
      raw,
      ...(call ? { callId: call.callId, tool: call.tool } : {}),
    });
  }
}
