/**
 * Loads are staggered (issue 15, restart): at most `max` prepare at once, the rest wait in order, a
 * waiting load that is cancelled leaves the queue without running; and the runtime's `prepare` goes
 * through it.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createRuntime, RuntimeError } from '../../src/runtime/index.ts';
import { loadLimiter } from '../../src/runtime/prepare/loadLimiter.ts';
import { fixturePath } from '../helpers/fixtures.ts';

function gate() {
  let open: () => void = () => {};
  const opened = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { opened, open };
}

describe('loadLimiter', () => {
  it('runs at most max at once, the others in order as slots free up', async () => {
    const limiter = loadLimiter(2);
    const started: number[] = [];
    let active = 0;
    let most = 0;
    const gates = Array.from({ length: 5 }, gate);
    const runs = gates.map((g, i) =>
      limiter.run(async () => {
        started.push(i);
        active += 1;
        most = Math.max(most, active);
        await g.opened;
        active -= 1;
        return i;
      }),
    );
    await new Promise((r) => setTimeout(r, 10));
    expect(started).toEqual([0, 1]);
    expect([limiter.running, limiter.waiting]).toEqual([2, 3]);
    gates[1]?.open();
    await runs[1];
    await new Promise((r) => setTimeout(r, 10));
    expect(started).toEqual([0, 1, 2]);
    for (const g of gates) g.open();
    expect(await Promise.all(runs)).toEqual([0, 1, 2, 3, 4]);
    expect(most).toBe(2);
    expect([limiter.running, limiter.waiting]).toEqual([0, 0]);
  });

  it('drops a waiting load whose signal aborts (cancelled), and a failed load frees its slot', async () => {
    const limiter = loadLimiter(1);
    const first = gate();
    const ran: string[] = [];
    const a = limiter.run(async () => {
      ran.push('a');
      await first.opened;
      throw new Error('a failed');
    });
    const controller = new AbortController();
    const b = limiter.run(async () => {
      ran.push('b');
    }, controller.signal);
    const c = limiter.run(async () => {
      ran.push('c');
      return 'c';
    });
    controller.abort();
    await expect(b).rejects.toMatchObject({ code: 'cancelled' });
    expect((await b.catch((e: unknown) => e)) instanceof RuntimeError).toBe(true);
    first.open();
    await expect(a).rejects.toThrow('a failed');
    expect(await c).toBe('c');
    expect(ran).toEqual(['a', 'c']);
  });
});

describe('createRuntime', () => {
  it('prepares through the limiter: a load waits for a free slot, and leaves the queue when cancelled', async () => {
    const cacheDir = await mkdtemp(join(tmpdir(), 'wasmactor-limiter-'));
    try {
      const runtime = createRuntime({ cacheDir, maxConcurrentLoads: 1 });
      const first = runtime.prepare({ path: fixturePath('counter') });
      const controller = new AbortController();
      // A file that does not exist: had this load started, it would fail reading it.
      const waiting = runtime.prepare(
        { path: join(cacheDir, 'missing.wasm') },
        { signal: controller.signal },
      );
      controller.abort();
      await expect(waiting).rejects.toMatchObject({ code: 'cancelled' });
      const prepared = await first;
      expect(await prepared.callOnce('get', {}, {})).toMatchObject({ ok: true, value: 0 });
      await prepared.dispose();
    } finally {
      await rm(cacheDir, { recursive: true, force: true });
    }
  }, 60_000);
});
