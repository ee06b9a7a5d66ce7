/**
 * Stateless calls on the real runtime (issue 15): the compiled component goes to a worker once, every
 * call still runs on a fresh instance (the next one is made ahead, while the worker is idle), a changed
 * sandbox is never served by an instance made for the old one, idle workers are ended after
 * `workerIdleMs` and the next call still works, and preview2-shim's helper thread starts only when a
 * guest needs it.
 */
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { constants, PerformanceObserver } from 'node:perf_hooks';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { type PreparedComponent, prepareComponent } from '../../src/runtime/index.ts';
import type { WorkerComponent } from '../../src/runtime/prepare/WorkerComponent.ts';
import { WorkerClient, workerStats } from '../../src/runtime/worker/index.ts';
import { minIntervalMs } from '../../src/runtime/worker/releaseMemory.ts';
import { fixturePath } from '../helpers/fixtures.ts';

let cacheDir: string;
const prepared: PreparedComponent[] = [];

async function prepare(name: string, workerIdleMs?: number): Promise<PreparedComponent> {
  const component = await prepareComponent(
    { path: fixturePath(name) },
    { cacheDir, ...(workerIdleMs === undefined ? {} : { workerIdleMs }) },
  );
  prepared.push(component);
  return component;
}

/** Waits (bounded) until `read()` is `expected`; returns what it read last. */
async function settlesAt<T>(read: () => T, expected: T, boundMs = 5_000): Promise<T> {
  const until = performance.now() + boundMs;
  while (read() !== expected && performance.now() < until) await new Promise((r) => setTimeout(r, 10));
  return read();
}

/** Threads of this process (Linux). */
function threads(): number {
  return Number(/^Threads:\s+(\d+)/m.exec(readFileSync('/proc/self/status', 'utf8'))?.[1]);
}

beforeAll(async () => {
  cacheDir = await mkdtemp(join(tmpdir(), 'wasmactor-pool-'));
});

afterAll(async () => {
  await Promise.all(prepared.map((c) => c.dispose()));
  await rm(cacheDir, { recursive: true, force: true });
});

describe('stateless calls', () => {
  it('runs every call on a fresh instance, on one reused worker', async () => {
    const counter = await prepare('counter');
    const base = workerStats().live;
    for (let i = 0; i < 5; i++) {
      expect(await counter.callOnce('increment', {}, {})).toMatchObject({ ok: true, value: 1 });
      expect(await counter.callOnce('add', { n: 3 }, {})).toMatchObject({ ok: true, value: 3 });
    }
    expect(workerStats().live, 'sequential calls share one worker').toBe(base + 1);
  });

  it('sends the compiled component to a worker with its first call only, the sandbox when it changes', async () => {
    const counter = await prepare('counter');
    const sent = vi.spyOn(WorkerClient.prototype, 'request');
    try {
      const sandbox = { env: { A: '1' } };
      for (let i = 0; i < 4; i++) await counter.callOnce('get', {}, sandbox);
      // the same content in a new object is the same sandbox
      await counter.callOnce('get', {}, { env: { A: '1' } });
      await counter.callOnce('get', {}, { env: { A: '2' } });
      const messages = sent.mock.calls.map(([message]) => message);
      expect(messages.filter((m) => 'component' in m).map((m) => m.type)).toEqual(['setup']);
      const calls = messages.filter((m) => m.type === 'fresh-call');
      expect(calls).toHaveLength(6);
      // the worker got the first sandbox with the component; the changed one comes with its call
      expect(calls.map((m) => 'sandbox' in m)).toEqual([false, false, false, false, false, true]);
    } finally {
      sent.mockRestore();
    }
  });

  it("bounds a new worker's start apart from the call: a short time limit is for the call", async () => {
    // starting a worker thread takes 100-700 ms here; the call itself well under a millisecond
    const counter = await prepare('counter', 0);
    for (let i = 0; i < 2; i++) {
      expect(await counter.callOnce('increment', {}, {}, { timeoutMs: 200 })).toMatchObject({
        ok: true,
        value: 1,
      });
    }
  });

  it('never serves a call with an instance made for an earlier sandbox', async () => {
    const probe = await prepare('wasi-probe');
    const env = (value: string) => ({ env: { X: value } });
    for (const value of ['a', 'b', 'b', 'a', 'c']) {
      expect(await probe.callOnce('get-env', { key: 'X' }, env(value))).toMatchObject({
        ok: true,
        value,
      });
    }
    // a sandbox without the variable: the instance made with X=c must not answer
    expect(await probe.callOnce('get-env', { key: 'X' }, {})).toMatchObject({ ok: true, value: null });
  }, 60_000);

  it('ends a worker idle for workerIdleMs, and the next call starts a new one', async () => {
    const counter = await prepare('counter', 150);
    const base = workerStats().live;
    expect(await counter.callOnce('increment', {}, {})).toMatchObject({ ok: true, value: 1 });
    expect(workerStats().live, 'the worker waits in the pool').toBe(base + 1);
    expect(await settlesAt(() => workerStats().live, base), 'reaped').toBe(base);
    expect(await counter.callOnce('increment', {}, {})).toMatchObject({ ok: true, value: 1 });
    expect(await settlesAt(() => workerStats().live, base), 'reaped again').toBe(base);
  });

  it('asks V8 for one full collection once the last idle worker was ended', async () => {
    // A forced major collection is what gives back the load's and the worker's large buffers; V8 would
    // otherwise leave them until its memory reducer runs. Nothing else in this process forces one.
    const forced: number[] = [];
    const observer = new PerformanceObserver((list) => {
      for (const entry of list.getEntries()) {
        const detail = (entry as PerformanceEntry & { detail?: { kind: number; flags: number } }).detail;
        if (
          detail &&
          detail.kind === constants.NODE_PERFORMANCE_GC_MAJOR &&
          detail.flags & constants.NODE_PERFORMANCE_GC_FLAGS_FORCED
        ) {
          forced.push(entry.startTime);
        }
      }
    });
    observer.observe({ entryTypes: ['gc'] });
    try {
      const counter = await prepare('counter', 150);
      const base = workerStats().live;
      expect(await counter.callOnce('get', {}, {})).toMatchObject({ ok: true, value: 0 });
      const afterCall = performance.now();
      expect(await settlesAt(() => workerStats().live, base), 'reaped').toBe(base);
      expect(await settlesAt(() => forced.some((at) => at > afterCall), true, minIntervalMs + 5_000)).toBe(
        true,
      );
    } finally {
      observer.disconnect();
    }
  }, 30_000);

  it('keeps no compiled modules while no worker is alive, and compiles them again for the next instance', async () => {
    const counter = (await prepare('counter', 150)) as WorkerComponent;
    const base = workerStats().live;
    expect(await counter.callOnce('increment', {}, {})).toMatchObject({ ok: true, value: 1 });
    expect(counter.holdsModules, 'a worker is idle in the pool').toBe(true);
    expect(await settlesAt(() => workerStats().live, base), 'reaped').toBe(base);
    expect(await settlesAt(() => counter.holdsModules, false), 'released').toBe(false);
    // a stateless call and a stateful instance each get them compiled again
    expect(await counter.callOnce('increment', {}, {})).toMatchObject({ ok: true, value: 1 });
    expect(counter.holdsModules).toBe(true);
    expect(await settlesAt(() => counter.holdsModules, false), 'released again').toBe(false);
    const instance = await counter.instantiate({});
    try {
      expect(await instance.call('increment', {})).toMatchObject({ ok: true, value: 1 });
      expect(await instance.call('increment', {})).toMatchObject({ ok: true, value: 2 });
      // a stateful instance's worker is alive: reaping the pool does not take its modules
      await counter.callOnce('get', {}, {});
      expect(await settlesAt(() => workerStats().live, base + 1), 'pool reaped').toBe(base + 1);
      await new Promise((r) => setTimeout(r, 300));
      expect(counter.holdsModules).toBe(true);
    } finally {
      await instance.dispose();
    }
  }, 30_000);

  it('keeps no worker with workerIdleMs 0', async () => {
    const counter = await prepare('counter', 0);
    const base = workerStats().live;
    expect(await counter.callOnce('get', {}, {})).toMatchObject({ ok: true, value: 0 });
    expect(await settlesAt(() => workerStats().live, base)).toBe(base);
    expect(await counter.callOnce('get', {}, {})).toMatchObject({ ok: true, value: 0 });
  });

  it("starts preview2-shim's helper thread only when a guest needs it", async () => {
    await Promise.all(prepared.splice(0).map((c) => c.dispose()));
    const counter = await prepare('counter');
    expect(await settlesAt(() => workerStats().live, 0)).toBe(0);
    const before = threads();
    expect(await counter.callOnce('get', {}, {})).toMatchObject({ ok: true, value: 0 });
    // one thread for the worker; its helper thread is not started (a pollable would start it)
    expect(await settlesAt(threads, before + 1, 1_000)).toBe(before + 1);
    expect(await counter.callOnce('increment-slowly', { ms: 5 }, {})).toMatchObject({ ok: true, value: 1 });
    expect(await settlesAt(threads, before + 2, 1_000), 'the guest blocked on a pollable').toBe(before + 2);
  });
});
