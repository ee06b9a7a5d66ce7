/**
 * Cancelling a call on a per-agent instance, at the ComponentHost: as on the shared instance, the caller
 * is answered `cancelled` at once; the call may finish within `cancelGraceMs` (its effect kept); still
 * running then, it is killed, that instance is dropped (state lost, `restarts` and `lastError` say so)
 * and its next call starts a fresh one. Against the fake runtime, then the real one (the killed call's
 * worker thread ends).
 */

import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ComponentHost } from '../../src/machines/ComponentHost.ts';
import { createDeferred } from '../../src/machines/deferred.ts';
import { createRuntime } from '../../src/runtime/index.ts';
import { workerStats } from '../../src/runtime/worker/index.ts';
import { FakeRuntime, fakeSource } from './fakeRuntime.ts';

const value = (o: { ok: boolean; value?: unknown }) => (o.ok ? o.value : undefined);
const code = (p: Promise<unknown>) =>
  p.then(
    () => 'resolved',
    (e: { code?: string }) => e.code ?? 'other',
  );
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Holds `increment` calls for ever (until killed); other tools pass. */
const holdIncrements = () => {
  const held = createDeferred<void>();
  return { gate: (info: { tool: string }) => (info.tool === 'increment' ? held.promise : Promise.resolve()) };
};

let nextHandle = 0;
const newHandle = () => `r1.c${++nextHandle}xxxxxxxxxxxxxxxxxxxx`;

async function setUp(runtime: FakeRuntime, cancelGraceMs: number) {
  const host = new ComponentHost({ runtime, cancelGraceMs });
  await host.load({ id: 'c', source: fakeSource, stateful: true, timeoutMs: 60_000 });
  const handle = newHandle();
  await host.openInstance('c', handle);
  const summary = () => host.list()[0]?.instanceList[0];
  return { host, handle, summary };
}

describe('a cancelled call on a per-agent instance (fake runtime)', () => {
  it('is killed after the grace; the next call of that handle runs on a fresh instance', async () => {
    const runtime = new FakeRuntime(holdIncrements());
    const { host, handle, summary } = await setUp(runtime, 50);
    await host.call('add', { n: 100 });
    await host.call('add', { n: 5 }, { instance: handle });
    const controller = new AbortController();
    const runaway = host.call('increment', {}, { instance: handle, signal: controller.signal });
    const next = host.call('get', {}, { instance: handle });
    await sleep(10);
    const started = performance.now();
    controller.abort();
    expect(await code(runaway)).toBe('cancelled');
    // not blocked until the 60 s time limit: a fresh instance (state lost: 0, not 5) answers
    expect(value(await next)).toBe(0);
    const waited = performance.now() - started;
    expect(waited).toBeGreaterThanOrEqual(45);
    expect(waited).toBeLessThan(1_000);
    // instances: [0] shared, [1] the handle's first (killed, disposed), [2] its fresh one
    expect(runtime.instances).toHaveLength(3);
    expect(runtime.instances[1]?.alive).toBe(false);
    expect(runtime.disposed.has(runtime.instances[1]?.id ?? -1)).toBe(true);
    // the killed call itself was stopped (its signal aborted), not left running in the dropped instance
    expect(runtime.active).toBe(0);
    expect(summary()).toMatchObject({ restarts: 1, inFlight: 0, state: 'idle' });
    expect(summary()?.lastError).toMatch(
      /cancelled call .* did not finish within 50 ms; .*this instance's state was lost; its next call starts a fresh instance/,
    );
    // the shared instance and the component's own counts are untouched
    expect(value(await host.call('get', {}))).toBe(100);
    expect(host.list()[0]).toMatchObject({ restarts: 0 });
    await host.stop();
  });

  it('lets a call that ends within the grace finish and keep its effect (no restart, even later)', async () => {
    const runtime = new FakeRuntime({ gate: () => sleep(20) });
    const { host, handle, summary } = await setUp(runtime, 200);
    const controller = new AbortController();
    const call = host.call('increment', {}, { instance: handle, signal: controller.signal });
    await sleep(5);
    controller.abort();
    expect(await code(call)).toBe('cancelled');
    expect(value(await host.call('get', {}, { instance: handle }))).toBe(1);
    // a long call after it, still running when the first call's grace would have ended
    const later = host.call('add', { n: 1 }, { instance: handle });
    await sleep(300);
    expect(value(await later)).toBe(2);
    expect(summary()).toMatchObject({ restarts: 0, failed: 1 });
    expect(runtime.instances).toHaveLength(2);
    await host.stop();
  });

  it('a grace that ends while a later call of the instance runs kills nothing', async () => {
    const held = createDeferred<void>();
    let first = true;
    const runtime = new FakeRuntime({
      gate: (info) => {
        if (info.tool !== 'increment') return Promise.resolve();
        if (first) {
          first = false;
          return sleep(20);
        }
        return held.promise;
      },
    });
    const { host, handle, summary } = await setUp(runtime, 100);
    const controller = new AbortController();
    const cancelled = host.call('increment', {}, { instance: handle, signal: controller.signal });
    await sleep(5);
    controller.abort();
    expect(await code(cancelled)).toBe('cancelled');
    const second = host.call('increment', {}, { instance: handle });
    await sleep(250);
    held.deferred.resolve();
    expect(value(await second)).toBe(2);
    expect(summary()).toMatchObject({ restarts: 0 });
    await host.stop();
  });

  it('close-instance during the grace ends the instance once the call is killed', async () => {
    const runtime = new FakeRuntime(holdIncrements());
    const { host, handle } = await setUp(runtime, 50);
    const controller = new AbortController();
    const runaway = host.call('increment', {}, { instance: handle, signal: controller.signal });
    await sleep(10);
    controller.abort();
    expect(await code(runaway)).toBe('cancelled');
    const started = performance.now();
    await host.closeInstance(handle);
    expect(performance.now() - started).toBeLessThan(1_000);
    expect(runtime.instances[1]?.alive).toBe(false);
    expect(host.list()[0]).toMatchObject({ instances: 0 });
    await host.stop();
  });
});

describe('a cancelled call on a per-agent instance (real runtime)', () => {
  it('ends the runaway call’s worker and serves the handle from a fresh one', async () => {
    const runtime = createRuntime({ cacheDir: join(tmpdir(), 'wasmactor-test-cache') });
    const host = new ComponentHost({ runtime, cancelGraceMs: 200 });
    try {
      const build = join(import.meta.dirname, '..', '..', 'fixtures', 'build');
      await host.load({
        id: 'loop',
        source: { path: join(build, 'loop.wasm') },
        stateful: true,
        timeoutMs: 600_000,
      });
      const base = workerStats().live;
      const handle = newHandle();
      await host.openInstance('loop', handle);
      expect(workerStats().live).toBe(base + 1);
      const controller = new AbortController();
      const spin = host.call('spin', {}, { instance: handle, signal: controller.signal });
      await sleep(100);
      controller.abort();
      expect(await code(spin)).toBe('cancelled');
      const started = performance.now();
      expect(value(await host.call('ok', {}, { instance: handle }))).toBe(7);
      expect(performance.now() - started).toBeLessThan(10_000);
      // the spinning worker ended; the fresh instance has its own
      const until = performance.now() + 5_000;
      while (workerStats().live !== base + 1 && performance.now() < until) await sleep(10);
      expect(workerStats().live).toBe(base + 1);
      expect(host.list()[0]?.instanceList[0]).toMatchObject({ restarts: 1 });
    } finally {
      await host.stop();
    }
  }, 60_000);
});
