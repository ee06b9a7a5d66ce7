/**
 * Resources on the real runtime: instance worker threads go back to their baseline after unload,
 * reload, trap, cancel and stop (counted by the runtime's `workerStats().live`), and calls of one
 * stateful instance never overlap at the worker (`maxPending`: a worker runs its messages in order, so
 * an overlap would not show inside the guest; two requests waiting on one worker is where it shows).
 */
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ComponentHost } from '../../src/machines/ComponentHost.ts';
import { createRuntime } from '../../src/runtime/index.ts';
import { resetWorkerStats, workerStats } from '../../src/runtime/worker/index.ts';

const build = join(import.meta.dirname, '..', '..', 'fixtures', 'build');
const counter = { path: join(build, 'counter.wasm') };
const blocker = { path: join(build, 'blocker.wasm') };
const runtime = createRuntime({ cacheDir: join(tmpdir(), 'wasmactor-test-cache') });

/** Waits (bounded) until the live worker count is `expected`; returns the count it saw last. */
async function workersSettleAt(expected: number, boundMs = 3_000): Promise<number> {
  const until = performance.now() + boundMs;
  while (workerStats().live !== expected && performance.now() < until) {
    await new Promise((r) => setTimeout(r, 10));
  }
  return workerStats().live;
}

describe('real runtime: worker threads and overlap', () => {
  it('returns to the baseline of worker threads after unload, reload, trap and cancel', async () => {
    const base = workerStats().live;
    const host = new ComponentHost({ runtime, cancelGraceMs: 200 });
    try {
      const loaded = await host.load({ id: 'counter', source: counter, stateful: true });
      const tool = (fn: string) => loaded.tools.find((t) => t.function.name === fn)?.name ?? fn;
      expect(await workersSettleAt(base + 1)).toBe(base + 1);

      for (let i = 0; i < 3; i++) await host.load({ id: 'counter', source: counter, stateful: true });
      expect(await workersSettleAt(base + 1), 'after 3 reloads').toBe(base + 1);

      await expect(host.call(tool('trap'), {})).rejects.toMatchObject({ code: 'state-lost' });
      expect(await workersSettleAt(base), 'the trapped worker ends').toBe(base);
      expect(await host.call(tool('get'), {})).toMatchObject({ ok: true, value: 0 });
      expect(await workersSettleAt(base + 1), 'one fresh instance').toBe(base + 1);

      // a cancelled runaway stateful call: killed after the grace, a fresh instance serves the next call
      await host.call(tool('add'), { n: 5 });
      const controller = new AbortController();
      const runaway = host.call(tool('increment-slowly'), { ms: 60_000 }, { signal: controller.signal });
      const next = host.call(tool('get'), {});
      await new Promise((r) => setTimeout(r, 50));
      const started = performance.now();
      controller.abort();
      await expect(runaway).rejects.toMatchObject({ code: 'cancelled' });
      expect(await next).toMatchObject({ ok: true, value: 0 });
      expect(performance.now() - started).toBeLessThan(3_000);
      expect(await workersSettleAt(base + 1), 'the killed worker ended').toBe(base + 1);

      // stateless: a cancelled call's worker is ended
      const stateless = await host.load({ id: 'free', source: counter, stateful: false, concurrency: 2 });
      const free = (fn: string) => stateless.tools.find((t) => t.function.name === fn)?.name ?? fn;
      const cancelled = new AbortController();
      const slow = host.call(free('increment-slowly'), { ms: 60_000 }, { signal: cancelled.signal });
      await new Promise((r) => setTimeout(r, 50));
      cancelled.abort();
      await expect(slow).rejects.toMatchObject({ code: 'cancelled' });
      expect(await host.call(free('increment'), {})).toMatchObject({ ok: true, value: 1 });

      expect(await host.unload('free')).toBe(true);
      expect(await host.unload('counter')).toBe(true);
      expect(await workersSettleAt(base), 'after unloading everything').toBe(base);
    } finally {
      await host.stop();
    }
  }, 60_000);

  it('stop() ends a runaway call and every worker within its grace', async () => {
    const base = workerStats().live;
    const host = new ComponentHost({ runtime, stopGraceMs: 200 });
    await host.load({ id: 'blocker', source: blocker, stateful: true, timeoutMs: 60_000 });
    await host.load({ id: 'free', source: blocker, stateful: false, timeoutMs: 60_000 });
    const stuck = [host.call('block-forever', {}), host.call('free__block-forever', {})];
    await new Promise((r) => setTimeout(r, 100));
    const started = performance.now();
    await host.stop();
    expect(performance.now() - started).toBeLessThan(2_000);
    for (const call of stuck) await expect(call).rejects.toMatchObject({ code: 'stopped' });
    expect(await workersSettleAt(base)).toBe(base);
  }, 60_000);

  it('never has two requests waiting on the worker of a stateful instance', async () => {
    const host = new ComponentHost({ runtime });
    try {
      await host.load({ id: 'counter', source: counter, stateful: true });
      resetWorkerStats();
      const replies = await Promise.all(
        Array.from({ length: 200 }, (_, i) => host.call(i % 2 ? 'increment' : 'add', i % 2 ? {} : { n: 2 })),
      );
      expect(replies.map((r) => (r.ok ? r.value : 'err')).at(-1)).toBe(300);
      expect(workerStats().maxPending, 'requests waiting on one worker at once').toBe(1);
    } finally {
      await host.stop();
    }
  }, 60_000);
});
