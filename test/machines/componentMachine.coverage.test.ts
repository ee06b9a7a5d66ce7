/**
 * Transition coverage: `@xstate/graph` enumerates every state and transition of `componentMachine`;
 * scenarios driven against the fake runtime must take each of them (recorded through `inspect`).
 */
import { getStateNodes, toDirectedGraph } from '@xstate/graph';
import { describe, expect, it } from 'vitest';
import { type AnyTransitionDefinition, createActor, fromPromise, type InspectionEvent } from 'xstate';
import { createCallExecutor } from '../../src/machines/calls/index.ts';
import { componentMachine } from '../../src/machines/componentMachine.ts';
import type { CallSettled, LoadSpec } from '../../src/machines/componentTypes.ts';
import { createDeferred } from '../../src/machines/deferred.ts';
import type { CallOutcome } from '../../src/runtime/types.ts';
import { FakeRuntime, fakeSource } from './fakeRuntime.ts';
import { heldGate } from './hostHelpers.ts';

function key(t: AnyTransitionDefinition): string {
  const targets = (t.target ?? []).map((n) => n.id).join(',');
  const guard =
    typeof t.guard === 'string' ? t.guard : ((t.guard as { type?: string } | undefined)?.type ?? '');
  return `${t.source.id} --${t.eventType || '(always)'}[${guard}]--> ${targets || '(self)'}`;
}

/** Every transition of the machine, `always` ones included. */
function allTransitions(): Set<string> {
  const keys = new Set<string>();
  const visit = (graph: ReturnType<typeof toDirectedGraph>) => {
    for (const edge of graph.edges) keys.add(key(edge.transition));
    graph.children.forEach(visit);
  };
  visit(toDirectedGraph(componentMachine));
  for (const node of [componentMachine.root, ...getStateNodes(componentMachine.root)]) {
    for (const t of node.always ?? []) keys.add(key(t));
  }
  return keys;
}

const taken = new Set<string>();
const visited = new Set<string>();
const record = (event: InspectionEvent) => {
  if (event.type !== '@xstate.microstep' || !(event.actorRef as { id?: string }).id?.startsWith('x:')) return;
  for (const t of event._transitions) taken.add(key(t));
  const snapshot = event.snapshot as { value?: unknown };
  visited.add(JSON.stringify(snapshot.value));
};

const spec = (stateful: boolean): LoadSpec => ({
  source: fakeSource,
  stateful,
  sandbox: {},
  timeoutMs: 1_000,
  concurrency: 1,
  cancelGraceMs: 20,
});

function start(runtime: FakeRuntime, machine = componentMachine) {
  const actor = createActor(machine, { input: { id: 'c', runtime }, inspect: record }).start();
  const call = (tool: string, callId = `${Math.random()}`) => {
    const { promise, deferred } = createDeferred<CallOutcome>();
    actor.send({ type: 'CALL', callId, tool, args: {}, reply: deferred });
    return promise.then(
      () => 'ok',
      (e: { code?: string }) => e.code,
    );
  };
  const load = (stateful = true) => {
    const { promise, deferred } = createDeferred<unknown>();
    actor.send({ type: 'LOAD', spec: spec(stateful), reply: deferred });
    return promise.then(
      () => 'ok',
      (e: { code?: string }) => e.code,
    );
  };
  const reload = () => {
    const { promise, deferred } = createDeferred<unknown>();
    actor.send({ type: 'RELOAD', reply: deferred });
    return promise.then(
      () => 'ok',
      (e: { code?: string }) => e.code,
    );
  };
  const unload = () => {
    const { promise, deferred } = createDeferred<void>();
    actor.send({ type: 'UNLOAD', reply: deferred });
    return promise;
  };
  const state = () => {
    const value = actor.getSnapshot().value;
    return typeof value === 'string' ? value : JSON.stringify(value);
  };
  return { actor, call, load, reload, unload, state };
}

const tick = () => new Promise((r) => setTimeout(r, 5));

describe('componentMachine transition coverage', () => {
  it('takes every state and transition that @xstate/graph enumerates', async () => {
    // unloaded: CALL, UNLOAD, RELOAD without anything to reload, LOAD, then the load queues calls
    {
      const m = start(new FakeRuntime());
      expect(await m.call('increment')).toBe('unloaded');
      await m.unload();
      expect(await m.reload()).toBe('unloaded');
      const loading = m.load();
      expect(m.state()).toBe('loading');
      const early = m.call('increment');
      expect(await loading).toBe('ok');
      expect(await early).toBe('ok');
      m.actor.send({ type: 'UPDATE_SANDBOX', sandbox: { env: { A: 'b' } } });
      await m.unload();
      expect(m.state()).toBe('unloaded');
      expect(await m.reload()).toBe('ok'); // unloaded --RELOAD[hasSpec]--> loading
      m.actor.stop();
    }
    // initial load from input (unloaded --always[hasPendingLoad]--> loading), failed load
    {
      const prepare = createDeferred<void>();
      const runtime = new FakeRuntime({ prepareGate: () => prepare.promise });
      const reply = createDeferred<unknown>();
      const actor = createActor(componentMachine, {
        input: { id: 'c', runtime, load: { spec: spec(true), reply: reply.deferred } },
        inspect: record,
      }).start();
      expect(actor.getSnapshot().value).toBe('loading');
      prepare.deferred.reject(new Error('nope'));
      await expect(reply.promise).rejects.toMatchObject({ code: 'load-failed' });
      actor.stop();
    }
    // loading: LOAD, RELOAD, UNLOAD interrupt it
    for (const interrupt of ['LOAD', 'RELOAD', 'UNLOAD'] as const) {
      const m = start(new FakeRuntime());
      const first = m.load();
      if (interrupt === 'LOAD') expect(await Promise.all([first, m.load()])).toEqual(['ok', 'ok']);
      if (interrupt === 'RELOAD') expect(await Promise.all([first, m.reload()])).toEqual(['ok', 'ok']);
      if (interrupt === 'UNLOAD') {
        await m.unload();
        expect(await first).toBe('unloaded');
        expect(m.state()).toBe('unloaded');
      }
      m.actor.stop();
    }
    // idle: LOAD, RELOAD, UNLOAD; busy: CALL, CANCEL, SETTLED, LOAD, RELOAD, UNLOAD
    for (const event of ['LOAD', 'RELOAD', 'UNLOAD'] as const) {
      for (const from of ['idle', 'busy'] as const) {
        const g = heldGate();
        const m = start(new FakeRuntime({ gate: g.gate }));
        await m.load();
        const calls: Promise<unknown>[] = [];
        if (from === 'busy') {
          calls.push(m.call('increment', 'a'), m.call('increment', 'b'), m.call('increment', 'x'));
          m.actor.send({ type: 'CANCEL', callId: 'x' });
          await tick();
          expect(m.state()).toBe('busy');
        }
        const done =
          event === 'LOAD' ? m.load() : event === 'RELOAD' ? m.reload() : m.unload().then(() => 'unloaded');
        if (from === 'busy') {
          expect(m.state()).toContain('unloading');
          // unloading: CALL (kept for a reload, rejected for an unload), LOAD, RELOAD, UNLOAD
          calls.push(m.call('get'));
          g.release();
          await tick();
          g.release();
          await tick();
        }
        await done;
        g.release();
        await Promise.all(calls);
        m.actor.stop();
      }
    }
    // unloading: LOAD, RELOAD and UNLOAD while it drains
    for (const event of ['LOAD', 'RELOAD', 'UNLOAD'] as const) {
      const g = heldGate();
      const m = start(new FakeRuntime({ gate: g.gate }));
      await m.load(false);
      const running = m.call('increment');
      await tick();
      const unloaded = m.unload();
      const again = event === 'LOAD' ? m.load() : event === 'RELOAD' ? m.reload() : m.unload();
      g.release();
      await Promise.all([running, unloaded, again]);
      m.actor.stop();
    }
    // root: KILL stops the call in flight; a cancelled stateful call past its grace is killed
    {
      const g = heldGate();
      const m = start(new FakeRuntime({ gate: g.gate }));
      await m.load();
      const killed = m.call('increment', 'k');
      await tick();
      m.actor.send({ type: 'KILL' });
      expect(await killed).toBe('stopped');
      const cancelled = m.call('increment', 'g');
      await tick();
      m.actor.send({ type: 'CANCEL', callId: 'g' });
      expect(await cancelled).toBe('cancelled');
      await new Promise((r) => setTimeout(r, 60)); // past the 20 ms grace
      expect(m.actor.getSnapshot().context.inFlight).toEqual([]);
      m.actor.stop();
    }
    // root: a call runner that rejects (runCall never does) still settles its call
    {
      const broken = componentMachine.provide({
        actors: {
          executor: createCallExecutor(async (): Promise<CallSettled> => {
            throw new Error('broken');
          }),
        },
      });
      const m = start(new FakeRuntime(), broken);
      await m.load();
      expect(await m.call('increment')).toBe('state-lost');
      expect(m.state()).toBe('idle');
      m.actor.stop();
    }
    // per-agent instances: open, call, close (the instance's end), and in unloading and unloaded
    {
      const g = heldGate();
      const m = start(new FakeRuntime({ gate: g.gate }));
      await m.load();
      const settle = (promise: Promise<unknown>) =>
        promise.then(
          () => 'ok',
          (e: { code?: string }) => e.code,
        );
      const open = (handle: string) => {
        const { promise, deferred } = createDeferred<void>();
        m.actor.send({ type: 'OPEN_INSTANCE', handle, reply: deferred });
        return settle(promise);
      };
      const close = (handle: string) => {
        const { promise, deferred } = createDeferred<void>();
        m.actor.send({ type: 'CLOSE_INSTANCE', handle, reply: deferred });
        return settle(promise);
      };
      const callOn = (handle: string, tool: string) => {
        const { promise, deferred } = createDeferred<CallOutcome>();
        m.actor.send({
          type: 'CALL',
          callId: `${Math.random()}`,
          tool,
          args: {},
          reply: deferred,
          instance: handle,
        });
        return settle(promise);
      };
      expect(await open('r.a')).toBe('ok');
      const running = callOn('r.a', 'increment');
      await tick();
      const closed = close('r.a');
      g.release();
      expect(await running).toBe('ok');
      expect(await closed).toBe('ok');
      await tick();
      expect(m.actor.getSnapshot().context.instances).toEqual({});
      expect(await open('r.b')).toBe('ok');
      const inFlight = callOn('r.b', 'increment');
      await tick();
      const unloaded = m.unload();
      expect(m.state()).toContain('draining');
      expect(await callOn('r.b', 'get')).toBe('instance-ended');
      expect(await open('r.c')).toBe('unloaded');
      g.release();
      expect(await inFlight).toBe('ok');
      await unloaded;
      expect(await open('r.d')).toBe('unloaded');
      m.actor.stop();
    }
    // root: an instance actor that fails (the machine never does) is forgotten all the same
    {
      const broken = componentMachine.provide({
        actors: {
          instance: fromPromise(async () => {
            throw new Error('broken');
          }) as never,
        },
      });
      const m = start(new FakeRuntime(), broken);
      await m.load();
      m.actor.send({ type: 'OPEN_INSTANCE', handle: 'r.x', reply: createDeferred<void>().deferred });
      await tick();
      expect(m.actor.getSnapshot().context.instances).toEqual({});
      expect(m.actor.getSnapshot().context.ended).toEqual({ 'r.x': 'failed' });
      m.actor.stop();
    }
    const all = allTransitions();
    // root 15 (with OPEN_INSTANCE, CLOSE_INSTANCE, an instance's CALL, instance done and error),
    // unloaded 7, unloading 7: eight more than before per-agent instances
    // root 10 (the loaded states' CALL/LOAD/RELOAD/UNLOAD written once, CANCEL, UPDATE_SANDBOX, KILL,
    // grace expiry, call done, call error), unloaded 6, loading 2, idle 1, busy 2, unloading 5 +
    // draining 1 + disposing 2; then one less: calls end with the executor's CALL.SETTLED only (a
    // runner that rejects is reported as settled: no per-call actor, no call error event)
    expect(all.size).toBe(36);
    const missing = [...all].filter((k) => !taken.has(k));
    expect(missing).toEqual([]);
    for (const state of ['unloaded', 'loading', 'idle', 'busy'])
      expect(visited).toContain(JSON.stringify(state));
    expect(visited).toContain(JSON.stringify({ unloading: 'draining' }));
    expect(visited).toContain(JSON.stringify({ unloading: 'disposing' }));
  });
});
