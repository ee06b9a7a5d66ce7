/**
 * The call executor: one long-lived child actor per component actor (and per instance actor) that runs
 * the calls its machine hands it and reports each end as one event. It decides nothing: the machine
 * keeps the queue and the serialization rule, and sends `RUN` only for a call that may start now; the
 * executor runs every `RUN` at once (so a machine that breaks serialization shows it at the runtime).
 *
 * Why not a `fromPromise` actor per call: spawning and stopping an actor per call, with an
 * AbortController each and the DOMException its stop raises, was most of the per-call cost of the
 * component actor (issue 15). Here a call costs one event in and one event out.
 *
 * Killing: stateful calls share one AbortController per executor (one is in flight at a time on an
 * instance; a new controller is made only after one was aborted). A stateless call, which starts a
 * fresh instance anyway, gets its own, so that killing it leaves the others running. Stopping the
 * executor (its machine stopped) aborts every call in flight.
 */
import { fromCallback } from 'xstate';
import type {
  CallOutcome,
  ComponentInstance,
  JsonObject,
  PreparedComponent,
  SandboxSpec,
} from '../../runtime/index.ts';

/** How a call ended. `instance`: a fresh stateful instance the call had to start (after a fault). */
export type CallResult =
  | { ok: true; outcome: CallOutcome; durationMs: number; instance?: ComponentInstance }
  | { ok: false; error: unknown; durationMs: number; instance?: ComponentInstance };

/** How a call ended, as the executor reports it (in `CALL.SETTLED`). */
export interface CallSettled {
  callId: string;
  generation: number;
  result: CallResult;
}

/** What one call needs to run. */
export interface CallInput {
  generation: number;
  call: { callId: string; tool: string; args: JsonObject };
  stateful: boolean;
  prepared: PreparedComponent;
  instance?: ComponentInstance;
  sandbox: SandboxSpec;
  timeoutMs: number;
}

/** The id of the executor child in both machines. */
export const executorId = 'executor';

/** What a machine sends its executor. */
export type ExecutorEvent =
  | ({ type: 'RUN' } & CallInput)
  /** Kills the calls in flight with these ids (their end is still reported, and ignored). */
  | { type: 'ABORT'; callIds: readonly string[] };

/** The event the executor sends back when a call ended, however it ended. */
export type CallSettledEvent = { type: 'CALL.SETTLED' } & CallSettled;

/** Runs one call; never rejects (a failure is a result). */
export type CallRunner = (input: CallInput, signal: AbortSignal) => Promise<CallSettled>;

/**
 * Runs one call on the runtime. A stateful call without a live instance (after a fault) instantiates a
 * fresh one first and hands it back with the result, unless the call was killed meanwhile (then nobody
 * would receive it: it is dropped).
 */
export const runCall: CallRunner = async (input, signal) => {
  const { generation, call, prepared, sandbox, timeoutMs } = input;
  const started = performance.now();
  let instance = input.instance;
  let result: CallResult;
  try {
    let outcome: CallOutcome;
    if (input.stateful) {
      instance ??= await prepared.instantiate(sandbox, { timeoutMs, signal });
      outcome = await instance.call(call.tool, call.args, { timeoutMs, signal });
    } else {
      outcome = await prepared.callOnce(call.tool, call.args, sandbox, { timeoutMs, signal });
    }
    result = { ok: true, outcome, durationMs: performance.now() - started };
  } catch (error) {
    result = { ok: false, error, durationMs: performance.now() - started };
  }
  if (instance && instance !== input.instance) {
    if (signal.aborted) await instance.dispose().catch(() => {});
    else result.instance = instance;
  }
  return { callId: call.callId, generation, result };
};

/** The executor's logic around a runner (the machines use `runCall`; tests may give a broken one). */
export function createCallExecutor(runner: CallRunner = runCall) {
  return fromCallback<ExecutorEvent>(({ sendBack, receive }) => {
    /** The controller of each call in flight (the shared one for stateful calls). */
    const running = new Map<string, AbortController>();
    let shared: AbortController | undefined;
    const settle = (settled: CallSettled) => sendBack({ type: 'CALL.SETTLED', ...settled });

    const run = (input: CallInput) => {
      const { callId } = input.call;
      if (input.stateful && !shared) shared = new AbortController();
      const controller = input.stateful && shared ? shared : new AbortController();
      running.set(callId, controller);
      let pending: Promise<CallSettled>;
      try {
        pending = runner(input, controller.signal);
      } catch (error) {
        pending = Promise.reject(error);
      }
      const end = (settled: CallSettled) => {
        if (running.get(callId) === controller) running.delete(callId);
        settle(settled);
      };
      pending.then(end, (error: unknown) =>
        end({ callId, generation: input.generation, result: { ok: false, error, durationMs: 0 } }),
      );
    };

    const abort = (callIds: Iterable<string>) => {
      for (const callId of callIds) {
        const controller = running.get(callId);
        if (!controller) continue;
        running.delete(callId);
        if (controller === shared) shared = undefined;
        controller.abort();
      }
    };

    receive((event) => {
      if (event.type === 'RUN') run(event);
      else abort(event.callIds);
    });
    return () => abort([...running.keys()]);
  });
}

/** The executor both machines use. */
export const callExecutor = createCallExecutor();
