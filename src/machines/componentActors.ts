/**
 * The work a component actor hands to short-lived child actors: loading and disposing. Each is a
 * `fromPromise` actor; stopping one aborts its signal, which the runtime turns into ending the worker.
 * Calls run on the long-lived executor instead (calls/callExecutor.ts).
 */
import { fromPromise } from 'xstate';
import type {
  ComponentInstance,
  ComponentRuntime,
  PreparedComponent,
  PrepareOptions,
} from '../runtime/index.ts';
import type { LoadOutput, LoadSpec } from './componentTypes.ts';
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
