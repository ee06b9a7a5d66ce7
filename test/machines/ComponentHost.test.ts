import { describe, expect, it } from 'vitest';
import { ComponentHost } from '../../src/machines/ComponentHost.ts';
import { createDeferred } from '../../src/machines/deferred.ts';
import { FakeRuntime, fakeSource, fakeTool } from './fakeRuntime.ts';
import { heldGate, loaded, rejection, value } from './hostHelpers.ts';

/** A host whose load of stateful `c` (advertising `tool`) waits in `prepare` until the test settles it. */
function loading(tool: string) {
  const prepare = createDeferred<void>();
  const host = new ComponentHost({ runtime: new FakeRuntime({ prepareGate: () => prepare.promise }) });
  const load = host.load({ id: 'c', source: fakeSource, stateful: true, knownTools: [fakeTool(tool)] });
  return { prepare, host, load };
}

/** Records each new state of the host's first component, as its subscribers are told of them. */
function recordStates(host: ComponentHost) {
  const states: string[] = [];
  const unsubscribe = host.subscribe((list) => {
    const state = list[0]?.state;
    if (state && states.at(-1) !== state) states.push(state);
  });
  return { states, unsubscribe };
}

describe('ComponentHost', () => {
  it('serves the calls of a stateful component one at a time, in arrival order', async () => {
    const runtime = new FakeRuntime();
    const host = new ComponentHost({ runtime });
    const loaded = await host.load({ id: 'c', source: fakeSource, stateful: true });
    expect(loaded).toMatchObject({ id: 'c', generation: 1, reloaded: false });
    const results = await Promise.all(Array.from({ length: 20 }, () => host.call('increment', {})));
    expect(results.map(value)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    expect(runtime.maxOverlap).toBe(1);
    expect(runtime.instances).toHaveLength(1);
    expect(host.list()[0]).toMatchObject({ state: 'idle', served: 20, queueHighWater: 19, stateful: true });
    await host.stop();
  });

  it('gives every stateless call a fresh instance and overlaps up to the limit', async () => {
    const held = heldGate();
    const runtime = new FakeRuntime({ gate: held.gate });
    const host = new ComponentHost({ runtime });
    await host.load({ id: 'c', source: fakeSource, stateful: false, concurrency: 2 });
    const calls = Array.from({ length: 5 }, () => host.call('increment', {}));
    await new Promise((r) => setTimeout(r, 20));
    expect(host.list()[0]).toMatchObject({ state: 'busy', inFlight: 2, queueLength: 3 });
    for (let i = 0; i < 5; i++) {
      held.release();
      await new Promise((r) => setTimeout(r, 5));
    }
    expect((await Promise.all(calls)).map(value)).toEqual([1, 1, 1, 1, 1]);
    expect(runtime.instances).toHaveLength(5);
    expect(host.list()[0]?.state).toBe('idle');
    await host.stop();
  });

  it('answers an unknown tool clearly and treats unloading an unknown id as a no-op', async () => {
    const host = new ComponentHost({ runtime: new FakeRuntime() });
    const error = await rejection(host.call('nope', {}));
    expect(error.code).toBe('unknown-tool');
    expect(error.message).toContain('nope');
    expect(await host.unload('ghost')).toBe(false);
    await host.stop();
  });

  it('keeps both components callable when tool names collide', async () => {
    const host = new ComponentHost({ runtime: new FakeRuntime() });
    await host.load({ id: 'a', source: fakeSource, stateful: true });
    const b = await host.load({ id: 'My.B', source: fakeSource, stateful: true });
    expect(b.tools.map((t) => t.name)).toContain('my_b__increment');
    expect(value(await host.call('increment', {}))).toBe(1);
    expect(value(await host.call('increment', {}))).toBe(2);
    expect(value(await host.call('my_b__increment', {}))).toBe(1);
    const reloaded = await host.load({ id: 'My.B', source: fakeSource, stateful: true });
    expect(reloaded.reloaded).toBe(true);
    expect(reloaded.tools.map((t) => t.name)).toEqual(b.tools.map((t) => t.name));
    expect(host.tools().filter((t) => t.componentId === 'My.B')).toHaveLength(b.tools.length);
    await host.stop();
  });

  it('after a trap of a stateful instance says the state was lost and restarts from zero', async () => {
    const { runtime, host } = await loaded();
    await host.call('increment', {});
    const error = await rejection(host.call('trap', {}));
    expect(error.code).toBe('state-lost');
    expect(error.message).toContain("the component's state was lost; the next call starts a fresh instance");
    expect(error.cause).toMatchObject({ code: 'trap' });
    expect(host.list()[0]).toMatchObject({ restarts: 1, generation: 1, failed: 1 });
    expect(value(await host.call('increment', {}))).toBe(1);
    expect(runtime.instances).toHaveLength(2);
    expect(runtime.disposed.has(1)).toBe(true);
    await host.stop();
  });

  it('treats a WIT err as a normal reply and a refused argument as a call failure that keeps the state', async () => {
    const { host } = await loaded();
    await host.call('increment', {});
    expect(await host.call('fail', {})).toMatchObject({ ok: false, error: 'wit-err' });
    expect((await rejection(host.call('bad-arg', {}))).code).toBe('call-failed');
    expect(value(await host.call('get', {}))).toBe(1);
    expect(host.list()[0]).toMatchObject({ restarts: 0, served: 3, failed: 1 });
    await host.stop();
  });

  it('a stateless fault is a fault, not lost state', async () => {
    const { host } = await loaded({ stateful: false });
    expect((await rejection(host.call('trap', {}))).code).toBe('fault');
    expect(host.list()[0]?.restarts).toBe(0);
    await host.stop();
  });

  it('cancels a queued call by removing it, and a stateful call in flight by dropping its reply', async () => {
    const held = heldGate();
    const { runtime, host } = await loaded({ runtime: new FakeRuntime({ gate: held.gate }) });
    const first = new AbortController();
    const second = new AbortController();
    const inFlight = host.call('increment', {}, { signal: first.signal });
    const queued = host.call('increment', {}, { signal: second.signal });
    const third = host.call('increment', {});
    await new Promise((r) => setTimeout(r, 10));
    second.abort();
    expect((await rejection(queued)).code).toBe('cancelled');
    first.abort();
    expect((await rejection(inFlight)).code).toBe('cancelled');
    expect(host.list()[0]).toMatchObject({ inFlight: 1, queueLength: 1 });
    held.release();
    await new Promise((r) => setTimeout(r, 10));
    held.release();
    // the cancelled call still ran (state kept); the cancelled queued one never did
    expect(value(await third)).toBe(2);
    expect(runtime.maxOverlap).toBe(1);
    // each call counted once: two cancelled (failed), one answered (served)
    expect(host.list()[0]).toMatchObject({ served: 1, failed: 2 });
    await host.stop();
  });

  it('kills a stateless call in flight when it is cancelled', async () => {
    const held = heldGate();
    const { runtime, host } = await loaded({
      runtime: new FakeRuntime({ gate: held.gate }),
      stateful: false,
    });
    const controller = new AbortController();
    const call = host.call('increment', {}, { signal: controller.signal });
    await new Promise((r) => setTimeout(r, 10));
    controller.abort();
    expect((await rejection(call)).code).toBe('cancelled');
    await new Promise((r) => setTimeout(r, 10));
    expect(runtime.instances[0]?.alive).toBe(false);
    expect(host.list()[0]).toMatchObject({ state: 'idle', inFlight: 0 });
    const already = new AbortController();
    already.abort();
    expect((await rejection(host.call('increment', {}, { signal: already.signal }))).code).toBe('cancelled');
    await host.stop();
  });

  it('unload rejects queued calls, lets the call in flight finish and drops the instance', async () => {
    const held = heldGate();
    const { runtime, host } = await loaded({ runtime: new FakeRuntime({ gate: held.gate }) });
    const running = host.call('increment', {});
    const queued = [host.call('increment', {}), host.call('increment', {})];
    await new Promise((r) => setTimeout(r, 10));
    const unloaded = host.unload('c');
    for (const q of queued) {
      const error = await rejection(q);
      expect(error.code).toBe('unloaded');
      expect(error.message).toBe('component c was unloaded');
    }
    expect(host.list()[0]?.state).toBe('unloading');
    expect((await rejection(host.call('increment', {}))).code).toBe('unloaded');
    held.release();
    expect(value(await running)).toBe(1);
    expect(await unloaded).toBe(true);
    expect(host.list()).toEqual([]);
    expect(runtime.liveInstances()).toEqual([]);
    expect(runtime.prepared[0]?.disposed).toBe(true);
    expect((await rejection(host.call('increment', {}))).code).toBe('unknown-tool');
    await host.stop();
  });

  it('reload starts a new generation on a brand-new instance', async () => {
    const { runtime, host } = await loaded();
    await host.call('increment', {});
    await host.call('increment', {});
    const reload = await host.load({ id: 'c', source: fakeSource, stateful: true });
    expect(reload).toMatchObject({ generation: 2, reloaded: true });
    expect(value(await host.call('get', {}))).toBe(0);
    expect(runtime.disposed.has(1)).toBe(true);
    await host.stop();
  });

  it('makes calls wait for the load when the tools are known, and rejects them when the load fails', async () => {
    const { prepare, host, load } = loading('increment');
    const early = host.call('increment', {});
    expect(host.list()[0]?.state).toBe('loading');
    prepare.deferred.reject(new Error('disk on fire'));
    const error = await rejection(early);
    expect(error.code).toBe('load-failed');
    expect(error.message).toContain('disk on fire');
    expect((await rejection(load)).code).toBe('load-failed');
    expect(host.list()).toEqual([]);
    await host.stop();
  });

  it('answers an unload that arrives while the component is still loading', async () => {
    const { prepare, host, load } = loading('get');
    const waiting = host.call('get', {});
    const unload = host.unload('c');
    prepare.deferred.resolve();
    await expect(unload).resolves.toBe(true);
    expect((await rejection(load)).code).toMatch(/unloaded|load-failed/);
    expect((await rejection(waiting)).code).toMatch(/unloaded|load-failed/);
    expect(host.list()).toEqual([]);
    expect((await rejection(host.call('get', {}))).code).toBe('unknown-tool');
    await host.stop();
  });

  it('serves calls that waited for the load', async () => {
    const { prepare, host, load } = loading('increment');
    const early = [host.call('increment', {}), host.call('increment', {})];
    prepare.deferred.resolve();
    await load;
    expect((await Promise.all(early)).map(value)).toEqual([1, 2]);
    await host.stop();
  });

  it('makes a failing initialisation of a stateful instance a load error', async () => {
    const host = new ComponentHost({ runtime: new FakeRuntime({ failInstantiate: () => true }) });
    const error = await rejection(host.load({ id: 'c', source: fakeSource, stateful: true }));
    expect(error.code).toBe('load-failed');
    expect(error.message).toContain('init trapped');
    await host.stop();
  });

  it('applies a new sandbox to the next stateless call and asks for a reload when stateful', async () => {
    const host = new ComponentHost({ runtime: new FakeRuntime() });
    await host.load({ id: 'a', source: fakeSource, stateful: false, sandbox: { env: { NAME: 'one' } } });
    expect(value(await host.call('env', {}))).toBe('one');
    expect(host.updateSandbox('a', { env: { NAME: 'two' } })).toEqual({ reloadNeeded: false });
    expect(value(await host.call('env', {}))).toBe('two');
    await host.load({ id: 'b', source: fakeSource, stateful: true, sandbox: { env: { NAME: 'one' } } });
    expect(host.updateSandbox('b', { env: { NAME: 'two' } })).toEqual({ reloadNeeded: true });
    expect(value(await host.call('b__env', {}))).toBe('one');
    await host.load({ id: 'b', source: fakeSource, stateful: true, sandbox: { env: { NAME: 'two' } } });
    expect(value(await host.call('b__env', {}))).toBe('two');
    await host.stop();
  });

  it('notifies subscribers of every actor change without an inspect observer', async () => {
    const host = new ComponentHost({ runtime: new FakeRuntime() });
    const { states, unsubscribe } = recordStates(host);
    await host.load({ id: 'c', source: fakeSource, stateful: true });
    await host.call('increment', {});
    await host.unload('c');
    await host.load({ id: 'd', source: fakeSource, stateful: false });
    await host.call('increment', {});
    unsubscribe();
    await host.call('increment', {});
    expect(states).toEqual([
      'loading',
      'idle',
      'busy',
      'idle',
      'unloading',
      // the component actor reaches `unloaded` before the host removes it and answers the unload
      'unloaded',
      'loading',
      'idle',
      'busy',
      'idle',
    ]);
    await host.stop();
    expect((await rejection(host.unload('d'))).code).toBe('stopped');
  });

  it('notifies subscribers and the inspect observer of every actor change', async () => {
    const inspected = new Set<string>();
    const host = new ComponentHost({
      runtime: new FakeRuntime(),
      inspect: (event) => inspected.add((event.actorRef as { id?: string }).id ?? ''),
    });
    const { states, unsubscribe } = recordStates(host);
    await host.load({ id: 'c', source: fakeSource, stateful: true });
    await host.call('increment', {});
    unsubscribe();
    await host.call('increment', {});
    expect(states).toEqual(['loading', 'idle', 'busy', 'idle']);
    expect(inspected.has('component:c')).toBe(true);
    expect(host.system.system.get('component:c')).toBeDefined();
    await host.stop();
    expect((await rejection(host.call('increment', {}))).code).toBe('stopped');
  });
});
