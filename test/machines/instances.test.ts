import { describe, expect, it } from 'vitest';
import { createDeferred } from '../../src/machines/deferred.ts';
import { FakeRuntime, fakeSource } from './fakeRuntime.ts';
import { loaded, rejection, value } from './hostHelpers.ts';

let nextHandle = 0;
const handle = () => `r1.h${++nextHandle}xxxxxxxxxxxxxxxx`;

describe('per-agent instances (ComponentHost)', () => {
  it('gives each handle its own fresh state, apart from the shared instance', async () => {
    const { host } = await loaded();
    const a = handle();
    const b = handle();
    await host.call('add', { n: 100 });
    await host.openInstance('c', a);
    await host.openInstance('c', b);
    expect(value(await host.call('increment', {}, { instance: a }))).toBe(1);
    expect(value(await host.call('increment', {}, { instance: a }))).toBe(2);
    expect(value(await host.call('increment', {}, { instance: b }))).toBe(1);
    expect(value(await host.call('get', {}))).toBe(100);
    expect(host.list()[0]).toMatchObject({ instances: 2 });
    await host.stop();
  });

  it('serves one call at a time per instance, different instances in parallel', async () => {
    const held: (() => void)[] = [];
    const runtime = new FakeRuntime({
      gate: () => {
        const { promise, deferred } = createDeferred<void>();
        held.push(() => deferred.resolve());
        return promise;
      },
    });
    const { host } = await loaded({ runtime });
    const [a, b] = [handle(), handle()];
    await host.openInstance('c', a);
    await host.openInstance('c', b);
    const calls = [
      host.call('increment', {}, { instance: a }),
      host.call('increment', {}, { instance: a }),
      host.call('increment', {}, { instance: b }),
      host.call('increment', {}, { instance: b }),
    ];
    while (held.length < 2) await new Promise((r) => setImmediate(r));
    await new Promise((r) => setTimeout(r, 20));
    // Two calls run (one per instance), the other two wait in their instance's queue.
    expect(runtime.active).toBe(2);
    while (held.length > 0 || runtime.active > 0) {
      held.shift()?.();
      await new Promise((r) => setImmediate(r));
    }
    expect((await Promise.all(calls)).map(value)).toEqual([1, 2, 1, 2]);
    expect(runtime.maxOverlap).toBe(1);
    expect(runtime.maxActive).toBe(2);
    await host.stop();
  });

  it('refuses open-instance on a stateless component, and beyond the cap', async () => {
    const stateless = await loaded({ stateful: false });
    expect((await rejection(stateless.host.openInstance('c', handle()))).code).toBe('not-stateful');
    await stateless.host.stop();
    const { host } = await loaded({ host: { maxInstances: 2 } });
    await host.openInstance('c', handle());
    await host.openInstance('c', handle());
    const error = await rejection(host.openInstance('c', handle()));
    expect(error.code).toBe('instance-limit');
    expect(error.message).toContain('close one with close-instance');
    await host.stop();
  });

  it('rejects calls and closes of closed and unknown handles, saying which', async () => {
    const { host } = await loaded();
    const a = handle();
    await host.openInstance('c', a);
    await host.call('increment', {}, { instance: a });
    await host.closeInstance(a);
    const closed = await rejection(host.call('get', {}, { instance: a }));
    expect(closed.code).toBe('instance-ended');
    expect(closed.message).toContain('was closed with close-instance');
    expect((await rejection(host.closeInstance(a))).code).toBe('instance-ended');
    const unknown = await rejection(host.call('get', {}, { instance: handle() }));
    expect(unknown.code).toBe('instance-unknown');
    expect((await rejection(host.closeInstance(handle()))).code).toBe('instance-unknown');
    // The shared instance never served any of these.
    expect(value(await host.call('get', {}))).toBe(0);
    expect(host.list()[0]).toMatchObject({ instances: 0 });
    await host.stop();
  });

  it('closes every instance on reload and on unload; their handles never reach an instance again', async () => {
    const { host, runtime } = await loaded();
    const [a, b] = [handle(), handle()];
    await host.openInstance('c', a);
    await host.openInstance('c', b);
    await host.call('increment', {}, { instance: a });
    await host.load({ id: 'c', source: fakeSource, stateful: true });
    const error = await rejection(host.call('get', {}, { instance: a }));
    expect(error.code).toBe('instance-ended');
    expect(error.message).toContain('reloaded');
    expect(host.list()[0]).toMatchObject({ instances: 0 });
    const disposed = runtime.instances.filter((i) => runtime.disposed.has(i.id)).length;
    expect(disposed).toBeGreaterThanOrEqual(3); // a, b and the shared instance of generation 1
    const c = handle();
    await host.openInstance('c', c);
    await host.unload('c');
    expect((await rejection(host.call('get', {}, { instance: c }))).code).toBe('unknown-tool');
    expect((await rejection(host.closeInstance(c))).code).toBe('instance-unknown');
    await host.stop();
  });

  it('lets a call in flight finish when its instance is closed, and rejects the queued ones', async () => {
    const release = createDeferred<void>();
    let first = true;
    const runtime = new FakeRuntime({
      gate: () => {
        if (!first) return Promise.resolve();
        first = false;
        return release.promise;
      },
    });
    const { host } = await loaded({ runtime });
    const a = handle();
    await host.openInstance('c', a);
    const inFlight = host.call('increment', {}, { instance: a });
    const queued = host.call('increment', {}, { instance: a });
    while (runtime.active === 0) await new Promise((r) => setImmediate(r));
    const closing = host.closeInstance(a);
    expect((await rejection(queued)).code).toBe('instance-ended');
    release.deferred.resolve();
    expect(value(await inFlight)).toBe(1);
    await closing;
    await host.stop();
  });

  it('ends an instance after its idle time without calls', async () => {
    const { host } = await loaded({ host: { instanceIdleMs: 50 } });
    const a = handle();
    await host.openInstance('c', a);
    await host.call('increment', {}, { instance: a });
    await new Promise((r) => setTimeout(r, 40));
    // A call restarts the idle time.
    expect(value(await host.call('increment', {}, { instance: a }))).toBe(2);
    await new Promise((r) => setTimeout(r, 150));
    const error = await rejection(host.call('get', {}, { instance: a }));
    expect(error.code).toBe('instance-ended');
    expect(error.message).toContain('expired');
    expect(host.list()[0]).toMatchObject({ instances: 0 });
    await host.stop();
  });

  it('restarts only the instance that trapped, and says its state was lost', async () => {
    const { host } = await loaded();
    const [a, b] = [handle(), handle()];
    await host.openInstance('c', a);
    await host.openInstance('c', b);
    await host.call('add', { n: 5 }, { instance: a });
    await host.call('add', { n: 7 }, { instance: b });
    await host.call('add', { n: 9 });
    const error = await rejection(host.call('trap', {}, { instance: a }));
    expect(error.code).toBe('state-lost');
    expect(error.message).toContain("this instance's state was lost");
    expect(value(await host.call('get', {}, { instance: a }))).toBe(0);
    expect(value(await host.call('get', {}, { instance: b }))).toBe(7);
    expect(value(await host.call('get', {}))).toBe(9);
    expect(host.list()[0]?.instanceList.find((i) => i.restarts === 1)).toBeDefined();
    await host.stop();
  });

  it('rejects the open when the instance cannot start, and forgets it', async () => {
    let fail = false;
    const { host } = await loaded({ runtime: new FakeRuntime({ failInstantiate: () => fail }) });
    fail = true;
    const error = await rejection(host.openInstance('c', handle()));
    expect(error.code).toBe('load-failed');
    await new Promise((r) => setTimeout(r, 10));
    expect(host.list()[0]).toMatchObject({ instances: 0, state: 'idle' });
    await host.stop();
  });

  it('shows its instances with their state and queue, never the whole handle', async () => {
    const { host } = await loaded();
    const a = handle();
    await host.openInstance('c', a);
    const [summary] = host.list();
    expect(summary?.instanceList).toEqual([
      expect.objectContaining({ state: 'idle', queueLength: 0, inFlight: 0 }),
    ]);
    expect(summary?.instanceList[0]?.handle).not.toBe(a);
    expect(a.startsWith(summary?.instanceList[0]?.handle.replace('…', '') ?? 'x')).toBe(true);
    await host.stop();
  });
});

describe('per-agent instances in the inspector', () => {
  it('shows each instance with state and queue, and never logs a whole handle', async () => {
    const { createInspector, takeSnapshot } = await import('../../src/inspector/index.ts');
    const inspector = createInspector();
    const { host } = await loaded({ host: { inspect: inspector.inspect } });
    const a = handle();
    await host.openInstance('c', a);
    await host.call('increment', {}, { instance: a });
    const view = takeSnapshot(host, inspector).components[0];
    expect(view?.instances).toBe(1);
    expect(view?.instanceList).toEqual([
      expect.objectContaining({ state: 'idle', queueLength: 0, served: 1, restarts: 0 }),
    ]);
    await host.closeInstance(a);
    expect(takeSnapshot(host, inspector).components[0]?.instances).toBe(0);
    const log = JSON.stringify(inspector.log());
    expect(log).toContain('instance.r1.');
    expect(log).not.toContain(a);
    await host.stop();
  });

  it('draws the instance machine on the page, beside the component machine', async () => {
    const { createInspector, startInspector } = await import('../../src/inspector/index.ts');
    const inspector = createInspector();
    const { host } = await loaded({ host: { inspect: inspector.inspect } });
    const web = await startInspector({ host, inspector, port: 0 });
    try {
      const page = await (await fetch(web.url)).text();
      for (const state of ['starting', 'idle', 'busy', 'closing', 'closed'])
        expect(page).toContain(`data-id="instance.${state}"`);
      expect(page).toContain('data-id="component.busy"');
    } finally {
      await web.close();
      await host.stop();
    }
  });
});
