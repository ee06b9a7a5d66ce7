/**
 * Helpers of the pure-transition tests of the machines: a prepared component and an instance that fail
 * the test when anything uses them (computing a transition must do no I/O), replies that only record
 * whether anything settled them, and a successful call outcome.
 */
import type { Deferred } from '../../src/machines/deferred.ts';
import type { CallOutcome, ComponentInstance, PreparedComponent } from '../../src/runtime/types.ts';
import { fakeTool } from './fakeRuntime.ts';

/** A function that fails the test when called: any use of the runtime while computing a transition is I/O. */
export const noIo = (what: string) => () => {
  throw new Error(`${what} was called while computing a transition`);
};

/** A prepared component (tool `increment`) whose every use is I/O. */
export const prepared: PreparedComponent = {
  sha256: 'x',
  types: { functions: [], imports: [] },
  tools: [fakeTool('increment')],
  instantiate: noIo('instantiate'),
  callOnce: noIo('callOnce'),
  dispose: noIo('prepared.dispose'),
};

/** A live instance whose every use is I/O. */
export const instance: ComponentInstance = {
  call: noIo('instance.call'),
  dispose: noIo('instance.dispose'),
  alive: true,
};

/** A Deferred that records whether anything settled it. */
export function probe<T = CallOutcome>(): Deferred<T> & { settled: string[] } {
  const settled: string[] = [];
  return {
    settled,
    resolve: () => settled.push('resolved'),
    reject: () => settled.push('rejected'),
  };
}

/** A successful call outcome with `value`. */
export const outcome = (value: number): CallOutcome => ({
  ok: true,
  value,
  output: { stdout: '', stderr: '', truncated: false },
  durationMs: 1,
});
