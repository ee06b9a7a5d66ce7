/**
 * No interleaving: with `fc.scheduler()` deciding when each underlying call resolves, a random script of
 * calls, CANCELs, RELOADs, UNLOADs and LOADs against a stateful component never has two calls in flight
 * (on one instance or across generations), starts calls in arrival order, answers each caller with the
 * value a model counter gives (reset with every new instance) and settles every call with the outcome
 * its fate calls for: served -> its value; cancelled -> `cancelled` (or its value if it had finished);
 * never started -> `unloaded` only if an unload came after it (a reload keeps queued calls).
 * The same property against an unserialized variant of the machine (`canStartCall` replaced) must fail:
 * that is the negative control.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createActor } from 'xstate';
import { componentMachine } from '../src/machines/componentMachine.ts';
import type { LoadSpec } from '../src/machines/componentTypes.ts';
import { createDeferred } from '../src/machines/deferred.ts';
import type { CallOutcome } from '../src/runtime/types.ts';
import { FakeRuntime, fakeSource } from '../test/machines/fakeRuntime.ts';

const RUNS = 200;
const BOUND_MS = 5_000;

type Machine = typeof componentMachine;
type Tool = 'increment' | 'add' | 'get';
type Command =
  | { kind: 'call'; tool: Tool }
  | { kind: 'cancel'; pick: number }
  | { kind: 'reload' }
  | { kind: 'unload' }
  | { kind: 'load' };

const command: fc.Arbitrary<Command> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({
      kind: fc.constant('call' as const),
      tool: fc.constantFrom<Tool>('increment', 'add', 'get'),
    }),
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('cancel' as const), pick: fc.nat() }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'reload' as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'unload' as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'load' as const }) },
);

// The grace never ends within a run: cancelled calls in flight run to their end (killing is tested apart).
const spec: LoadSpec = {
  source: fakeSource,
  stateful: true,
  sandbox: {},
  timeoutMs: 1_000,
  concurrency: 8,
  cancelGraceMs: 60_000,
};

interface Sent {
  tool: Tool;
  n: number;
  cancelled: boolean;
  /** An UNLOAD was sent after this call arrived, or it arrived between an UNLOAD and the next load. */
  unloadAfter: boolean;
  settled?: { value: unknown } | { code: string };
}

/** The fates met over the runs of the main property (it must meet them all). */
const seen = new Set<string>();

/** The property, for any variant of the machine. */
function noInterleavingProperty(machine: Machine) {
  return fc.asyncProperty(
    fc.scheduler(),
    fc.array(command, { minLength: 1, maxLength: 16 }),
    async (s, script) => {
      const runtime = new FakeRuntime({ gate: (info) => s.schedule(Promise.resolve(), `${info.tool}`) });
      const first = createDeferred<unknown>();
      const actor = createActor(machine, {
        input: { id: 'c', runtime, load: { spec, reply: first.deferred } },
      }).start();
      await s.waitFor(first.promise);
      const sent: Sent[] = [];
      let down = false; // an UNLOAD was sent and no LOAD or RELOAD since
      const pending: Promise<unknown>[] = [];
      const run = async (cmd: Command) => {
        if (cmd.kind === 'call') {
          const call: Sent = { tool: cmd.tool, n: sent.length + 1, cancelled: false, unloadAfter: down };
          sent.push(call);
          const { promise, deferred } = createDeferred<CallOutcome>();
          actor.send({
            type: 'CALL',
            callId: `c${call.n}`,
            tool: cmd.tool,
            args: { n: call.n },
            reply: deferred,
          });
          pending.push(
            promise.then(
              (o) => {
                call.settled = { value: o.ok ? o.value : 'err' };
              },
              (e: { code?: string }) => {
                call.settled = { code: e.code ?? 'other' };
              },
            ),
          );
        } else if (cmd.kind === 'cancel') {
          const call = sent[cmd.pick % Math.max(1, sent.length)];
          if (!call) return;
          call.cancelled = true;
          actor.send({ type: 'CANCEL', callId: `c${call.n}` });
        } else {
          if (cmd.kind === 'unload') for (const call of sent) call.unloadAfter = true;
          down = cmd.kind === 'unload';
          const { promise, deferred } = createDeferred<unknown>();
          if (cmd.kind === 'unload') actor.send({ type: 'UNLOAD', reply: deferred });
          if (cmd.kind === 'reload') actor.send({ type: 'RELOAD', reply: deferred });
          if (cmd.kind === 'load') actor.send({ type: 'LOAD', spec, reply: deferred });
          pending.push(promise.catch(() => undefined));
        }
      };
      const sequence = s.scheduleSequence(
        script.map((cmd) => ({ label: cmd.kind, builder: () => run(cmd) })),
      );
      let timer: NodeJS.Timeout | undefined;
      const bound = new Promise<'hung'>((resolve) => {
        timer = setTimeout(() => resolve('hung'), BOUND_MS);
      });
      const everything = (async () => {
        await s.waitFor(sequence.task);
        await s.waitFor(Promise.all(pending));
      })();
      const ended = await Promise.race([everything, bound]);
      clearTimeout(timer);
      actor.stop();
      expect(ended, 'a call or a lifecycle request never settled').not.toBe('hung');

      expect(runtime.maxActive, 'calls overlapped (most in flight at once)').toBeLessThanOrEqual(1);
      const started = runtime.started.map((c) => Number(c.args.n));
      expect(started, 'calls started out of arrival order').toEqual([...started].sort((a, b) => a - b));
      // the model: a counter per instance, updated in start order
      const expected = new Map<number, number>();
      const counts = new Map<number, number>();
      for (const c of runtime.started) {
        let count = counts.get(c.instanceId) ?? 0;
        if (c.tool === 'increment') count += 1;
        if (c.tool === 'add') count += Number(c.args.n);
        counts.set(c.instanceId, count);
        expected.set(Number(c.args.n), count);
      }
      for (const call of sent) {
        const fate = `call c${call.n} (${call.tool}${call.cancelled ? ', cancelled' : ''})`;
        const served = expected.get(call.n);
        const outcome = call.settled;
        const kind = outcome && 'code' in outcome ? outcome.code : 'value';
        seen.add(
          `${served !== undefined ? 'started' : 'never started'}${call.cancelled ? ', cancelled' : ''}: ${kind}`,
        );
        expect(outcome, `${fate} never settled`).toBeDefined();
        if (served !== undefined && !call.cancelled) expect(outcome, fate).toEqual({ value: served });
        else if (served !== undefined)
          expect([{ value: served }, { code: 'cancelled' }], fate).toContainEqual(outcome);
        else {
          // never started: rejected by what reached it first (a cancel or an unload)
          const allowed = [
            ...(call.cancelled ? [{ code: 'cancelled' }] : []),
            ...(call.unloadAfter ? [{ code: 'unloaded' }] : []),
          ];
          const why = `${fate} was never served although no cancel or unload applied to it`;
          expect(allowed.length, why).toBeGreaterThan(0);
          expect(allowed, fate).toContainEqual(outcome);
        }
      }
    },
  );
}

describe('stateful component: no interleaving under cancel, reload and unload', () => {
  it(`never has two calls in flight and answers each caller as the model says (${RUNS} runs)`, async () => {
    await fc.assert(noInterleavingProperty(componentMachine), { numRuns: RUNS });
    expect([...seen].sort()).toEqual(
      expect.arrayContaining([
        'never started, cancelled: cancelled',
        'never started: unloaded',
        'started, cancelled: cancelled',
        'started: value',
      ]),
    );
    seen.clear();
  });

  it(`negative control: the property catches a variant that does not serialize (${RUNS} runs)`, async () => {
    const unserialized = componentMachine.provide({
      guards: { canStartCall: ({ context }) => context.queue.length > 0 && context.prepared !== undefined },
    });
    const result = await fc.check(noInterleavingProperty(unserialized), { numRuns: RUNS });
    seen.clear();
    expect(result.failed).toBe(true);
    // ...and for the right reason: two calls ran at once, not some other broken assertion
    expect(String(result.errorInstance)).toMatch(
      /calls overlapped \(most in flight at once\): expected [2-9]\d* to be less than or equal to 1/,
    );
    expect(result.counterexample).not.toBeNull();
  });
});
