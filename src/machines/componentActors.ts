/**
 * The work a component actor hands to child actors: loading, running one call, disposing. Each is a
 * `fromPromise` actor; stopping one aborts its signal, which the runtime turns into ending the worker.
 */
import { fromPromise } from 'xstate';
import type {
  CallOutcome,
  ComponentInstance,
  ComponentRuntime,
  PreparedComponent,
  PrepareOptions,
} from '../runtime/index.ts';
import type { CallInput, CallResult, CallSettled, LoadOutput, LoadSpec } from './componentTypes.ts';
import { MachineError } from './MachineError.ts';

/**
 * Prepares the component; a stateful one is also instantiated (within the call time limit), so a
 * failing or hanging init is a load error.
 */
export const loadComponent = fromPromise<
  LoadOutput,
  { runtime: ComponentRuntime; spec: LoadSpec; prepareOptions: PrepareOptions }
>(async ({ input, signal }) => {
  const { runtime, spec, prepareOptions } = input;
  const prepared = await runtime.prepare(spec.source, {
    ...prepareOptions,
    ...(spec.onProgress ? { onProgress: spec.onProgress } : {}),
    // The cap is compiled into the core modules: a changed limit applies from the next (re)load.
    ...(spec.sandbox.memoryLimit ? { memoryLimit: spec.sandbox.memoryLimit } : {}),
    signal,
  });
  let instance: ComponentInstance | undefined;
  try {
    if (spec.stateful && !signal.aborted) {
      instance = await prepared.instantiate(spec.sandbox, { timeoutMs: spec.timeoutMs, signal });
    }
  } catch (error) {
    await prepared.dispose().catch(() => {});
    throw error;
  }
  if (signal.aborted) {
    // Unloaded (or reloaded) while loading: nobody will ever see these handles.
    await instance?.dispose().catch(() => {});
    await prepared.dispose().catch(() => {});
    throw new MachineError('unloaded', 'the load was abandoned');
  }
  return instance ? { prepared, instance } : { prepared };
});

/**
 * Runs one call; its output is the call actor's done event. A stateful call without a live instance
 * (after a fault) instantiates a fresh one first and hands it back with the result. Stopping the actor
 * aborts the signal: the runtime ends the worker, and a fresh instance nobody will receive is dropped.
 */
export const runCall = fromPromise<CallSettled, CallInput>(async ({ input, signal }) => {
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
});

/** Drops a poisoned instance. */
export const disposeInstance = fromPromise<void, ComponentInstance>(async ({ input }) => {
  await input.dispose().catch(() => {});
});

/** Drops the live instance and the prepared component with all its workers. */
export const disposeComponent = fromPromise<
  void,
  { prepared?: PreparedComponent; instance?: ComponentInstance }
>(async ({ input }) => {
  try {
    await input.instance?.dispose();
  } catch {
    // a broken instance must not keep the prepared component alive
  } finally {
    await input.prepared?.dispose().catch(() => {});
  }
});
