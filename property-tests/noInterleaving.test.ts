/**
 * No interleaving: with `fc.scheduler()` deciding when each underlying call resolves, N concurrent calls
 * to a stateful component never overlap, each caller gets its own reply, replies follow arrival order
 * and none is lost. The same property run against an unserialized variant of the machine (its
 * `canStartCall` guard replaced) must fail: that is the negative control.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createActor } from 'xstate';
import { componentMachine } from '../src/machines/componentMachine.ts';
import { createDeferred } from '../src/machines/deferred.ts';
import type { CallOutcome } from '../src/runtime/types.ts';
import { FakeRuntime, fakeSource } from '../test/machines/fakeRuntime.ts';

const RUNS = 200;

type Machine = typeof componentMachine;

/** The property, for any variant of the machine. */
function noInterleavingProperty(machine: Machine) {
  return fc.asyncProperty(
    fc.scheduler(),
    fc.array(fc.constantFrom('increment', 'add', 'get'), { minLength: 1, maxLength: 12 }),
    async (s, tools) => {
      const runtime = new FakeRuntime({ gate: (info) => s.schedule(Promise.resolve(), `${info.tool}`) });
      const load = createDeferred<unknown>();
      const actor = createActor(machine, {
        input: {
          id: 'c',
          runtime,
          load: {
            spec: { source: fakeSource, stateful: true, sandbox: {}, timeoutMs: 1_000, concurrency: 8 },
            reply: load.deferred,
          },
        },
      }).start();
      await load.promise;
      const replies: Promise<CallOutcome>[] = tools.map((tool, i) => {
        const { promise, deferred } = createDeferred<CallOutcome>();
        actor.send({ type: 'CALL', callId: `c${i}`, tool, args: { n: i + 1 }, reply: deferred });
        return promise;
      });
      const settled = await s.waitFor(Promise.allSettled(replies));
      actor.stop();

      // the model: a counter updated in arrival order
      let count = 0;
      const expected = tools.map((tool, i) => {
        if (tool === 'increment') count += 1;
        if (tool === 'add') count += i + 1;
        return count;
      });
      const values = settled.map((r) => (r.status === 'fulfilled' && r.value.ok ? r.value.value : 'lost'));
      expect(runtime.maxOverlap, 'calls overlapped (most in flight at once)').toBe(1);
      expect(runtime.started.map((c) => c.args.n)).toEqual(tools.map((_, i) => i + 1));
      expect(values).toEqual(expected);
    },
  );
}

describe('stateful component: no interleaving', () => {
  it(`never has two calls in flight and answers each caller in arrival order (${RUNS} runs)`, async () => {
    await fc.assert(noInterleavingProperty(componentMachine), { numRuns: RUNS });
  });

  it(`negative control: the property catches a variant that does not serialize (${RUNS} runs)`, async () => {
    const unserialized = componentMachine.provide({
      guards: { canStartCall: ({ context }) => context.queue.length > 0 },
    });
    const result = await fc.check(noInterleavingProperty(unserialized), { numRuns: RUNS });
    expect(result.failed).toBe(true);
    // ...and for the right reason: two calls ran at once, not some other broken assertion
    expect(String(result.errorInstance)).toMatch(
      /calls overlapped \(most in flight at once\): expected [2-9]\d* to be 1/,
    );
    expect(result.counterexample).not.toBeNull();
  });
});
