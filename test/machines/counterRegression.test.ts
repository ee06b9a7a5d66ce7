import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ComponentHost } from '../../src/machines/ComponentHost.ts';
import { createRuntime } from '../../src/runtime/index.ts';

const counterPath = join(import.meta.dirname, '..', '..', 'fixtures', 'build', 'counter.wasm');

describe('stateful counter (real runtime)', () => {
  const host = new ComponentHost({
    runtime: createRuntime({ cacheDir: join(tmpdir(), 'wasmactor-test-cache') }),
  });
  afterAll(() => host.stop());

  it('answers 1,000 concurrent increments with exactly 1..1000, counts 1000, and 0 after a reload', async () => {
    await host.load({ id: 'counter', source: { path: counterPath }, stateful: true });
    const replies = await Promise.all(Array.from({ length: 1000 }, () => host.call('increment', {})));
    expect(replies.map((r) => (r.ok ? r.value : 'err'))).toEqual(
      Array.from({ length: 1000 }, (_, i) => i + 1),
    );
    expect(await host.call('get', {})).toMatchObject({ ok: true, value: 1000 });
    expect(host.list()[0]).toMatchObject({ served: 1001, failed: 0, state: 'idle' });

    const reload = await host.load({ id: 'counter', source: { path: counterPath }, stateful: true });
    expect(reload).toMatchObject({ generation: 2, reloaded: true });
    expect(await host.call('get', {})).toMatchObject({ ok: true, value: 0 });
  }, 60_000);

  it('kills a slow stateless call when it is cancelled, and serves the next one', async () => {
    const slow = await host.load({ id: 'slow', source: { path: counterPath }, stateful: false });
    const named = (fn: string) => slow.tools.find((t) => t.function.name === fn)?.name ?? fn;
    const controller = new AbortController();
    const started = performance.now();
    const call = host.call(named('increment-slowly'), { ms: 5_000 }, { signal: controller.signal });
    setTimeout(() => controller.abort(), 50);
    await expect(call).rejects.toMatchObject({ code: 'cancelled' });
    expect(performance.now() - started).toBeLessThan(2_000);
    expect(await host.call(named('increment'), {})).toMatchObject({ ok: true, value: 1 });
    expect(await host.unload('slow')).toBe(true);
  }, 60_000);

  it('lets a cancelled stateful call finish and keeps its effect on the state', async () => {
    await host.load({ id: 'counter', source: { path: counterPath }, stateful: true });
    const controller = new AbortController();
    const call = host.call('increment-slowly', { ms: 100 }, { signal: controller.signal });
    setTimeout(() => controller.abort(), 20);
    await expect(call).rejects.toMatchObject({ code: 'cancelled' });
    // queued behind the cancelled call, which still ran
    expect(await host.call('get', {})).toMatchObject({ ok: true, value: 1 });
  }, 60_000);
});
