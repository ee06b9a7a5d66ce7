/**
 * Per-agent instances against a model (fake runtime, fake clock for the idle time): random scripts of
 * open / concurrent call batches / close / trap / reload / idle time, on several handles and the shared
 * instance. A batch of calls is sent at once, without waiting; every other command waits for the calls
 * in flight first, so the model knows exactly what each call must answer. Checked:
 * - no state crosses instances: every call answers the model's count of its own target (handle or
 *   shared), and no runtime instance ever served calls of two targets;
 * - calls of one instance never overlap (`maxOverlap` 1), while a batch that reaches two targets does
 *   run them at the same time (`maxActive` >= 2);
 * - a closed, expired or reloaded-away handle is answered `instance-ended` (or `instance-unknown`) and
 *   never reaches a runtime instance again;
 * - a reload closes every instance; a trap loses only its own instance's state.
 */
import fc from 'fast-check';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ComponentHost } from '../src/machines/ComponentHost.ts';
import { MachineError } from '../src/machines/MachineError.ts';
import type { CallOutcome } from '../src/runtime/types.ts';
import { FakeRuntime, fakeSource } from '../test/machines/fakeRuntime.ts';

const RUNS = 400;
const IDLE_MS = 1_000;
const MAX_INSTANCES = 4;

/** An index into the handles opened so far, the shared instance, or a handle this server never minted. */
type Target = number | 'shared' | 'stranger';
type Command =
  | { kind: 'open' }
  | { kind: 'batch'; calls: { target: Target; tool: 'increment' | 'add' | 'get'; n: number }[] }
  | { kind: 'close'; pick: number }
  | { kind: 'trap'; target: Target }
  | { kind: 'reload' }
  | { kind: 'idle'; ms: number };

const target: fc.Arbitrary<Target> = fc.oneof(
  { weight: 3, arbitrary: fc.constant('shared' as const) },
  { weight: 6, arbitrary: fc.nat({ max: 7 }) },
  { weight: 1, arbitrary: fc.constant('stranger' as const) },
);
const STRANGER = 'r1.never-minted-xxxxxxxxxxxx';
const command: fc.Arbitrary<Command> = fc.oneof(
  { weight: 3, arbitrary: fc.constant({ kind: 'open' as const }) },
  {
    weight: 6,
    arbitrary: fc.record({
      kind: fc.constant('batch' as const),
      calls: fc.array(
        fc.record({
          target,
          tool: fc.constantFrom<'increment' | 'add' | 'get'>('increment', 'add', 'get'),
          n: fc.integer({ min: 1, max: 50 }),
        }),
        { minLength: 1, maxLength: 8 },
      ),
    }),
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('close' as const), pick: fc.nat({ max: 7 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('trap' as const), target }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'reload' as const }) },
  {
    weight: 1,
    arbitrary: fc.record({ kind: fc.constant('idle' as const), ms: fc.integer({ min: 100, max: 1_500 }) }),
  },
);

interface ModelHandle {
  handle: string;
  label: string;
  count: number;
  /** Why it ended, once it has. */
  ended?: 'closed' | 'expired' | 'reloaded';
  /** Fake-clock time without calls since its last call (or its open). */
  idle: number;
  /** How many calls the runtime had started when it ended. */
  endedAt?: number;
}

async function settle<T>(promise: Promise<T>): Promise<{ ok: true; value: T } | { ok: false; code: string }> {
  try {
    return { ok: true, value: await promise };
  } catch (error) {
    expect(error).toBeInstanceOf(MachineError);
    return { ok: false, code: (error as MachineError).code };
  }
}

const outcomeValue = (outcome: CallOutcome) => (outcome.ok ? outcome.value : 'wit-err');

afterEach(() => {
  vi.useRealTimers();
});

describe('per-agent instances against a model', () => {
  it(`keep state apart, serialize per instance, overlap across instances (${RUNS} runs)`, async () => {
    let seq = 0;
    let sawOverlap = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(command, { minLength: 1, maxLength: 30 }), async (script) => {
        vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
        // A one-shot barrier: the first calls of a batch wait until one call per target is running (a
        // target may first have to start a fresh instance), so overlap across instances is certain.
        let needed = 1;
        let waiting: (() => void)[] = [];
        const runtime: FakeRuntime = new FakeRuntime({
          gate: () => {
            if (runtime.active < needed) {
              // Never a deadlock: should the targets not all start (a broken machine), the barrier
              // opens after 50 macrotasks and the overlap check fails with a counterexample.
              let ticks = 0;
              const fallback = () => {
                if (waiting.length === 0) return;
                if (++ticks < 50) return void setImmediate(fallback);
                needed = 1;
                for (const resolve of waiting) resolve();
                waiting = [];
              };
              setImmediate(fallback);
              return new Promise<void>((resolve) => waiting.push(resolve));
            }
            needed = 1;
            for (const resolve of waiting) resolve();
            waiting = [];
            return new Promise<void>((resolve) => setImmediate(resolve));
          },
        });
        const host = new ComponentHost({ runtime, maxInstances: MAX_INSTANCES, instanceIdleMs: IDLE_MS });
        try {
          await host.load({ id: 'c', source: fakeSource, stateful: true });
          let shared = 0;
          const handles: ModelHandle[] = [];
          const live = () => handles.filter((h) => !h.ended);
          const pick = (t: Target) =>
            t === 'shared' || t === 'stranger' ? t : handles[t % Math.max(1, handles.length)];
          const labelOf = (t: Target) => {
            const h = pick(t);
            return typeof h === 'string' ? h : (h?.label ?? 'shared');
          };
          const call = (t: Target, tool: string, n: number) => {
            const h = pick(t);
            const args = { n, tag: labelOf(t) };
            if (h === 'stranger') return host.call(tool, args, { instance: STRANGER });
            return h === 'shared' || h === undefined
              ? host.call(tool, args)
              : host.call(tool, args, { instance: h.handle });
          };
          const end = (h: ModelHandle, why: ModelHandle['ended']) => {
            h.ended = why;
            h.endedAt = runtime.started.length;
          };
          for (const cmd of script) {
            switch (cmd.kind) {
              case 'open': {
                const handle = `r1.${++seq}-${'x'.repeat(20)}`;
                const opened = await settle(host.openInstance('c', handle));
                if (live().length >= MAX_INSTANCES) {
                  expect(opened).toEqual({ ok: false, code: 'instance-limit' });
                } else {
                  expect(opened.ok).toBe(true);
                  handles.push({ handle, label: `h${seq}`, count: 0, idle: 0 });
                }
                break;
              }
              case 'batch': {
                runtime.maxActive = 0;
                const expected = cmd.calls.map((c) => {
                  const h = pick(c.target);
                  if (h === 'stranger') return { code: 'instance-unknown' };
                  if (h !== 'shared' && h !== undefined && h.ended) return { code: 'instance-ended' };
                  const before = h === 'shared' || h === undefined ? shared : h.count;
                  const after =
                    c.tool === 'increment' ? before + 1 : c.tool === 'add' ? before + c.n : before;
                  if (h === 'shared' || h === undefined) shared = after;
                  else {
                    h.count = after;
                    h.idle = 0;
                  }
                  return { value: after };
                });
                const targets = new Set(
                  cmd.calls.filter((_, i) => 'value' in (expected[i] ?? {})).map((c) => labelOf(c.target)),
                );
                needed = targets.size;
                const replies = await Promise.all(cmd.calls.map((c) => settle(call(c.target, c.tool, c.n))));
                expect(
                  replies.map((r) => (r.ok ? { value: outcomeValue(r.value) } : { code: r.code })),
                ).toEqual(expected);
                if (targets.size >= 2) {
                  expect(runtime.maxActive).toBeGreaterThanOrEqual(2);
                  sawOverlap++;
                }
                break;
              }
              case 'close': {
                const h = handles[cmd.pick % Math.max(1, handles.length)];
                if (!h) break;
                const closed = await settle(host.closeInstance(h.handle));
                if (h.ended) expect(closed).toEqual({ ok: false, code: 'instance-ended' });
                else {
                  expect(closed.ok).toBe(true);
                  end(h, 'closed');
                }
                break;
              }
              case 'trap': {
                const h = pick(cmd.target);
                const trapped = await settle(call(cmd.target, 'trap', 0));
                if (h === 'stranger') {
                  expect(trapped).toEqual({ ok: false, code: 'instance-unknown' });
                  break;
                }
                if (h !== 'shared' && h !== undefined && h.ended) {
                  expect(trapped).toEqual({ ok: false, code: 'instance-ended' });
                  break;
                }
                expect(trapped).toEqual({ ok: false, code: 'state-lost' });
                if (h === 'shared' || h === undefined) shared = 0;
                else {
                  h.count = 0;
                  h.idle = 0;
                }
                break;
              }
              case 'reload': {
                await host.load({ id: 'c', source: fakeSource, stateful: true });
                shared = 0;
                for (const h of live()) end(h, 'reloaded');
                break;
              }
              case 'idle': {
                await vi.advanceTimersByTimeAsync(cmd.ms);
                for (const h of live()) {
                  h.idle += cmd.ms;
                  if (h.idle >= IDLE_MS) end(h, 'expired');
                }
                // The instances' ends reach the component through their disposal (a real macrotask).
                for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
                break;
              }
            }
            expect(runtime.maxOverlap).toBeLessThanOrEqual(1);
            expect(host.list()[0]?.instances).toBe(live().length);
          }
          // No runtime instance ever served two targets, and an ended handle reached none after it ended.
          const tagsOf = new Map<number, Set<unknown>>();
          for (const s of runtime.started) {
            const tags = tagsOf.get(s.instanceId) ?? new Set();
            tags.add(s.args.tag);
            tagsOf.set(s.instanceId, tags);
          }
          for (const tags of tagsOf.values()) expect(tags.size).toBe(1);
          expect(runtime.started.some((s) => s.args.tag === 'stranger')).toBe(false);
          for (const h of handles) {
            if (h.endedAt === undefined) continue;
            expect(runtime.started.slice(h.endedAt).filter((s) => s.args.tag === h.label)).toEqual([]);
          }
        } finally {
          vi.useRealTimers();
          await host.stop();
        }
      }),
      { numRuns: RUNS },
    );
    // The overlap check must have had something to check.
    expect(sawOverlap).toBeGreaterThan(RUNS / 4);
  }, 120_000);
});
