/**
 * The machines' contexts keep one shape and stay small (issue 15): XState copies the whole context with
 * `Object.assign` on every `assign`, and V8 turns such a copy into a slow dictionary-mode object once it
 * has 20 keys or more, or when keys appear later (measured: each copy then cost ~20x, most of the
 * actor's cost per call). So every key is present from the start and there are at most 19.
 */
import { describe, expect, it } from 'vitest';
import { createActor } from 'xstate';
import { componentMachine } from '../../src/machines/componentMachine.ts';
import type { LoadSpec } from '../../src/machines/componentTypes.ts';
import { createDeferred } from '../../src/machines/deferred.ts';
import { instanceMachine } from '../../src/machines/instanceMachine.ts';
import { FakeRuntime, fakeSource } from './fakeRuntime.ts';

const MAX_KEYS = 19;
const spec: LoadSpec = { source: fakeSource, stateful: true, sandbox: {}, timeoutMs: 1_000, concurrency: 1 };

describe('context shape', () => {
  it('the component context has the same keys, at most 19, from the start to after calls and a fault', async () => {
    const runtime = new FakeRuntime();
    const actor = createActor(componentMachine, { input: { id: 'c', runtime, load: { spec } } }).start();
    const initial = Object.keys(actor.getSnapshot().context);
    expect(initial.length).toBeLessThanOrEqual(MAX_KEYS);
    const call = (tool: string) => {
      const { promise, deferred } = createDeferred<unknown>();
      actor.send({ type: 'CALL', callId: `c${Math.random()}`, tool, args: {}, reply: deferred });
      return promise.catch(() => undefined);
    };
    await Promise.all([call('increment'), call('trap'), call('increment')]);
    expect(Object.keys(actor.getSnapshot().context)).toEqual(initial);
    actor.stop();
  });

  it('the instance context has the same keys, at most 19, from the start to after a call and a fault', async () => {
    const runtime = new FakeRuntime();
    const prepared = await runtime.prepare(fakeSource);
    const opened = createDeferred<void>();
    const actor = createActor(instanceMachine, {
      input: {
        handle: 'r1.x',
        componentId: 'c',
        generation: 1,
        prepared,
        sandbox: {},
        timeoutMs: 1_000,
        idleMs: 60_000,
        reply: opened.deferred,
      },
    }).start();
    const initial = Object.keys(actor.getSnapshot().context);
    expect(initial.length).toBeLessThanOrEqual(MAX_KEYS);
    await opened.promise;
    for (const tool of ['increment', 'trap']) {
      const { promise, deferred } = createDeferred<unknown>();
      actor.send({ type: 'CALL', callId: tool, tool, args: {}, reply: deferred });
      await promise.catch(() => undefined);
    }
    expect(Object.keys(actor.getSnapshot().context)).toEqual(initial);
    actor.stop();
  });
});
