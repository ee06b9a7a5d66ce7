/**
 * Helpers of the ComponentHost tests on the fake runtime: a host with component `c` loaded, a gate that
 * holds calls until the test releases them, and the reading of call outcomes and rejections.
 */
import { expect } from 'vitest';
import { ComponentHost } from '../../src/machines/ComponentHost.ts';
import { createDeferred } from '../../src/machines/deferred.ts';
import { MachineError } from '../../src/machines/MachineError.ts';
import { FakeRuntime, fakeSource } from './fakeRuntime.ts';

/** The value of a successful call outcome; `undefined` for a WIT err. */
export function value(outcome: { ok: boolean; value?: unknown }): unknown {
  return outcome.ok ? outcome.value : undefined;
}

/** The MachineError `promise` rejects with; fails the test if it resolves or rejects with anything else. */
export async function rejection(promise: Promise<unknown>): Promise<MachineError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(MachineError);
    return error as MachineError;
  }
  throw new Error('expected a rejection');
}

/** A gate that holds every call until `release()` (which lets the calls waiting now through). */
export function heldGate() {
  let open = createDeferred<void>();
  return {
    gate: () => open.promise,
    release() {
      open.deferred.resolve();
      open = createDeferred<void>();
    },
  };
}

/** A host on `runtime` (default a fresh FakeRuntime) with component `c` loaded (stateful by default). */
export async function loaded(
  options: {
    stateful?: boolean;
    runtime?: FakeRuntime;
    host?: Partial<ConstructorParameters<typeof ComponentHost>[0]>;
  } = {},
) {
  const runtime = options.runtime ?? new FakeRuntime();
  const host = new ComponentHost({ runtime, ...options.host });
  await host.load({ id: 'c', source: fakeSource, stateful: options.stateful ?? true });
  return { runtime, host };
}
