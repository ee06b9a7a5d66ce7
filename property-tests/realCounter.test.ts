/**
 * The serialization property against the real runtime and the real `counter` fixture (a wasm global
 * holds the count): random batches of concurrent `add(n)` / `increment` / `get` calls on one stateful
 * instance answer exactly the prefix sums of the batch in arrival order; a trap loses the state and
 * the next call starts from zero. The worker side shows any overlap: never two requests waiting on the
 * instance's worker at once (inside the guest an overlap could not show, a worker runs in order).
 */
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ComponentHost } from '../src/machines/ComponentHost.ts';
import { MachineError } from '../src/machines/MachineError.ts';
import { createRuntime } from '../src/runtime/index.ts';
import { resetWorkerStats, workerStats } from '../src/runtime/worker/index.ts';

const RUNS = 100;
const counterPath = join(import.meta.dirname, '..', 'fixtures', 'build', 'counter.wasm');

describe('real runtime, real counter component', () => {
  let host: ComponentHost;
  beforeAll(async () => {
    host = new ComponentHost({
      runtime: createRuntime({ cacheDir: join(tmpdir(), 'wasmactor-test-cache') }),
    });
    await host.load({ id: 'counter', source: { path: counterPath }, stateful: true });
    resetWorkerStats();
  }, 60_000);
  afterAll(() => host?.stop());

  it(`concurrent calls on one stateful instance answer in arrival order (${RUNS} runs)`, async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.oneof(
            fc.record({ tool: fc.constant('add'), n: fc.integer({ min: 0, max: 1000 }) }),
            fc.record({ tool: fc.constantFrom('increment', 'get') }),
          ),
          { minLength: 1, maxLength: 25 },
        ),
        fc.boolean(),
        async (calls, trapFirst) => {
          if (trapFirst) {
            const error = await host.call('trap', {}).catch((e: unknown) => e);
            expect(error).toBeInstanceOf(MachineError);
            expect((error as MachineError).code).toBe('state-lost');
          }
          const base = await host.call('get', {});
          expect(base.ok).toBe(true);
          let count = base.ok ? (base.value as number) : 0;
          if (trapFirst) expect(count).toBe(0);
          const replies = await Promise.all(calls.map((c) => host.call(c.tool, 'n' in c ? { n: c.n } : {})));
          const expected = calls.map((c) => {
            if (c.tool === 'add' && 'n' in c) count += c.n;
            if (c.tool === 'increment') count += 1;
            return count;
          });
          expect(replies.map((r) => (r.ok ? r.value : 'err'))).toEqual(expected);
        },
      ),
      { numRuns: RUNS },
    );
    const summary = host.list()[0];
    expect(summary?.queueHighWater).toBeGreaterThan(1);
    expect(workerStats().maxPending, 'requests waiting on one worker at once').toBe(1);
  }, 120_000);
});
