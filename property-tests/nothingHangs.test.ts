/**
 * Nothing hangs: after an unload with calls queued (some of them cancelled), every promise settles within
 * a bound, each with the outcome its fate calls for: a call that never started is rejected with
 * `unloaded` (or `cancelled` when it was cancelled); a call that started and was not cancelled resolves
 * with the right value (stateful: its rank among the started calls, as they share one counter;
 * stateless: 1, each on a fresh instance); a cancelled one that started is `cancelled` or, when it had
 * already finished, its value.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ComponentHost } from '../src/machines/ComponentHost.ts';
import { MachineError } from '../src/machines/MachineError.ts';
import { FakeRuntime, fakeSource } from '../test/machines/fakeRuntime.ts';

const RUNS = 100;
// Far above the few ms a run takes, so a loaded CI machine does not fail it; a hang never settles.
const BOUND_MS = 5_000;

describe('nothing hangs after unload', () => {
  it(`settles every call within ${BOUND_MS} ms of an unload (${RUNS} runs)`, async () => {
    const seen = new Set<string>();
    await fc.assert(
      fc.asyncProperty(
        fc.boolean(),
        fc.integer({ min: 1, max: 4 }),
        fc.array(fc.record({ delayMs: fc.integer({ min: 0, max: 5 }), cancel: fc.boolean() }), {
          minLength: 1,
          maxLength: 15,
        }),
        fc.integer({ min: 0, max: 3 }),
        async (stateful, concurrency, calls, ticksBeforeUnload) => {
          const delays = calls.map((c) => c.delayMs);
          let next = 0;
          const runtime = new FakeRuntime({
            gate: () => new Promise((resolve) => setTimeout(resolve, delays[next++ % delays.length])),
          });
          const host = new ComponentHost({ runtime });
          await host.load({ id: 'c', source: fakeSource, stateful, concurrency });
          const controllers = calls.map(() => new AbortController());
          const settled = calls.map((_, i) =>
            host.call('increment', { i }, { signal: controllers[i]?.signal }).then(
              (o) => (o.ok ? `value ${o.value}` : 'err'),
              (error: unknown) => (error instanceof MachineError ? error.code : 'other'),
            ),
          );
          for (let t = 0; t < ticksBeforeUnload; t++) await new Promise((r) => setImmediate(r));
          calls.forEach((c, i) => {
            if (c.cancel) controllers[i]?.abort();
          });
          const unloaded = host.unload('c');
          let timer: NodeJS.Timeout | undefined;
          const bound = new Promise<'hung'>((resolve) => {
            timer = setTimeout(() => resolve('hung'), BOUND_MS);
          });
          const outcome = await Promise.race([Promise.all([Promise.all(settled), unloaded]), bound]);
          clearTimeout(timer);
          expect(outcome).not.toBe('hung');
          const codes = await Promise.all(settled);
          const started = runtime.started.map((c) => Number(c.args.i));
          for (const [i, code] of codes.entries()) {
            const rank = started.indexOf(i);
            const served = rank < 0 ? undefined : `value ${stateful ? rank + 1 : 1}`;
            const fate = `call ${i} (${stateful ? 'stateful' : 'stateless'}, ${rank < 0 ? 'never started' : 'started'}${calls[i]?.cancel ? ', cancelled' : ''})`;
            seen.add(
              `${rank < 0 ? 'never started' : 'started'}${calls[i]?.cancel ? ', cancelled' : ''}: ${code.split(' ')[0]}`,
            );
            if (served && !calls[i]?.cancel) expect(code, fate).toBe(served);
            else if (served) expect([served, 'cancelled'], fate).toContain(code);
            else expect(code, fate).toBe(calls[i]?.cancel ? 'cancelled' : 'unloaded');
          }
          expect(runtime.liveInstances()).toEqual([]);
          expect(host.list()).toEqual([]);
          await host.stop();
        },
      ),
      { numRuns: RUNS },
    );
    // the runs did exercise every fate
    expect([...seen].sort()).toEqual(
      expect.arrayContaining([
        'never started, cancelled: cancelled',
        'never started: unloaded',
        'started, cancelled: cancelled',
        'started: value',
      ]),
    );
  });
});
