/**
 * Sandbox generations, cancellation grace, instantiation time limit and shutdown grace, against the
 * fake runtime (which records the sandbox and options every `instantiate` got).
 */
import { describe, expect, it } from 'vitest';
import { ComponentHost } from '../../src/machines/ComponentHost.ts';
import { createDeferred } from '../../src/machines/deferred.ts';
import { FakeRuntime, fakeSource } from './fakeRuntime.ts';
import { value } from './hostHelpers.ts';

const code = (p: Promise<unknown>) =>
  p.then(
    () => 'resolved',
    (e: { code?: string }) => e.code ?? 'other',
  );

/** Holds `increment` calls until the test ends them (or for ever); other tools pass. */
function holdIncrements() {
  const held = createDeferred<void>();
  return { gate: (info: { tool: string }) => (info.tool === 'increment' ? held.promise : Promise.resolve()) };
}

describe('ComponentHost limits', () => {
  it('restarts a faulted stateful instance with the sandbox it was loaded with, not a later grant', async () => {
    const runtime = new FakeRuntime();
    const host = new ComponentHost({ runtime });
    await host.load({ id: 'c', source: fakeSource, stateful: true, sandbox: { env: { NAME: 'old' } } });
    expect(host.updateSandbox('c', { env: { NAME: 'new' } })).toEqual({ reloadNeeded: true });
    expect(value(await host.call('env', {}))).toBe('old');
    await expect(host.call('trap', {})).rejects.toMatchObject({ code: 'state-lost' });
    // the restarted instance still has the generation's sandbox
    expect(value(await host.call('env', {}))).toBe('old');
    expect(runtime.instantiated.map((i) => i.sandbox.env?.NAME)).toEqual(['old', 'old']);
    // from the next reload on, the grant applies
    await host.load({ id: 'c', source: fakeSource, stateful: true, sandbox: { env: { NAME: 'new' } } });
    expect(value(await host.call('env', {}))).toBe('new');
    expect(runtime.instantiated.at(-1)?.sandbox.env?.NAME).toBe('new');
    await host.stop();
  });

  it('kills a cancelled stateful call that outlives its grace and serves the next caller on a fresh instance', async () => {
    const runtime = new FakeRuntime(holdIncrements());
    const host = new ComponentHost({ runtime, cancelGraceMs: 50 });
    await host.load({ id: 'c', source: fakeSource, stateful: true, timeoutMs: 60_000 });
    await host.call('add', { n: 5 });
    const controller = new AbortController();
    const runaway = host.call('increment', {}, { signal: controller.signal });
    const next = host.call('get', {});
    await new Promise((r) => setTimeout(r, 10));
    const started = performance.now();
    controller.abort();
    expect(await code(runaway)).toBe('cancelled');
    // not blocked until the 60 s time limit: a fresh instance (state lost: 0, not 5) answers
    expect(value(await next)).toBe(0);
    const waited = performance.now() - started;
    expect(waited).toBeGreaterThanOrEqual(45);
    expect(waited).toBeLessThan(1_000);
    expect(runtime.instances).toHaveLength(2);
    expect(runtime.instances[0]?.alive).toBe(false);
    expect(runtime.disposed.has(1)).toBe(true);
    expect(host.list()[0]).toMatchObject({ restarts: 1, inFlight: 0 });
    expect(host.list()[0]?.lastError).toMatch(/did not finish within 50 ms.*state was lost/);
    await host.stop();
  });

  it('lets a cancelled stateful call that ends within its grace finish and keep its effect', async () => {
    const runtime = new FakeRuntime({ gate: () => new Promise((r) => setTimeout(r, 20)) });
    const host = new ComponentHost({ runtime, cancelGraceMs: 1_000 });
    await host.load({ id: 'c', source: fakeSource, stateful: true });
    const controller = new AbortController();
    const call = host.call('increment', {}, { signal: controller.signal });
    await new Promise((r) => setTimeout(r, 5));
    controller.abort();
    expect(await code(call)).toBe('cancelled');
    expect(value(await host.call('get', {}))).toBe(1);
    expect(runtime.instances).toHaveLength(1);
    expect(host.list()[0]?.restarts).toBe(0);
    await host.stop();
  });

  it('fails a stateful load whose instantiation hangs with the call time limit', async () => {
    const runtime = new FakeRuntime({ hangInstantiate: () => true });
    const host = new ComponentHost({ runtime });
    const started = performance.now();
    const error = await host
      .load({ id: 'c', source: fakeSource, stateful: true, timeoutMs: 50 })
      .catch((e: { code?: string; message: string }) => e);
    expect(error).toMatchObject({ code: 'load-failed' });
    expect((error as Error).message).toMatch(/timed out after 50 ms/);
    expect(performance.now() - started).toBeLessThan(1_000);
    expect(runtime.instantiated[0]?.options.timeoutMs).toBe(50);
    expect(host.list()).toEqual([]);
    await host.stop();
  });

  it('stop() waits a short grace for calls in flight, then stops them', async () => {
    const runtime = new FakeRuntime(holdIncrements());
    const host = new ComponentHost({ runtime, stopGraceMs: 100 });
    await host.load({ id: 'a', source: fakeSource, stateful: true, timeoutMs: 60_000 });
    await host.load({ id: 'b', source: fakeSource, stateful: false, timeoutMs: 60_000 });
    const calls = [host.call('increment', {}), host.call('b__increment', {})];
    await new Promise((r) => setTimeout(r, 10));
    const started = performance.now();
    await host.stop();
    const took = performance.now() - started;
    expect(took).toBeGreaterThanOrEqual(95);
    expect(took).toBeLessThan(1_000);
    expect(await Promise.all(calls.map(code))).toEqual(['stopped', 'stopped']);
    expect(runtime.liveInstances()).toEqual([]);
    expect(runtime.prepared.every((p) => p.disposed)).toBe(true);
  });

  it('stop() does not wait for the grace when nothing runs', async () => {
    const host = new ComponentHost({ runtime: new FakeRuntime(), stopGraceMs: 5_000 });
    await host.load({ id: 'a', source: fakeSource, stateful: true });
    const started = performance.now();
    await host.stop();
    expect(performance.now() - started).toBeLessThan(1_000);
  });
});
