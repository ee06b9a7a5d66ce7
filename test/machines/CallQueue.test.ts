/**
 * The call queue of the machines' context: every version is immutable (XState keeps old snapshots, and
 * `getNextSnapshot` may branch from one snapshot many times), while `push` and `shift` share storage.
 * Checked against plain arrays over random histories that branch from any earlier version.
 */
import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { CallQueue } from '../../src/machines/calls/index.ts';

type Op = { kind: 'push'; from: number } | { kind: 'shift'; from: number } | { kind: 'drop'; from: number };

const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 5, arbitrary: fc.record({ kind: fc.constant('push' as const), from: fc.nat() }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('shift' as const), from: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('drop' as const), from: fc.nat() }) },
);

describe('CallQueue', () => {
  test.prop([fc.array(op, { maxLength: 300 }), fc.boolean()])(
    'every version keeps its own items, whatever is done to the others (branching histories)',
    (ops, linear) => {
      const versions: CallQueue<number>[] = [CallQueue.empty()];
      const models: number[][] = [[]];
      let next = 0;
      for (const o of ops) {
        // Mostly from the latest version (the machine's case), or from any earlier one (branches).
        const at = linear ? versions.length - 1 : o.from % versions.length;
        const queue = versions[at] as CallQueue<number>;
        const model = models[at] as number[];
        if (o.kind === 'push') {
          versions.push(queue.push(next));
          models.push([...model, next]);
          next++;
        } else if (o.kind === 'shift') {
          versions.push(queue.shift());
          models.push(model.slice(1));
        } else {
          const victim = model[o.from % Math.max(1, model.length)];
          versions.push(queue.filter((x) => x !== victim));
          models.push(model.filter((x) => x !== victim));
        }
      }
      versions.forEach((queue, i) => {
        const model = models[i] as number[];
        expect([...queue]).toEqual(model);
        expect(queue.length).toBe(model.length);
        expect(queue.at(0)).toBe(model[0]);
        expect(queue.at(-1)).toBe(model[model.length - 1]);
        expect(queue.map((x, index) => x * 2 + index)).toEqual(model.map((x, index) => x * 2 + index));
        expect(queue.find((x) => x % 3 === 0)).toBe(model.find((x) => x % 3 === 0));
        expect(JSON.parse(JSON.stringify(queue))).toEqual(model);
      });
    },
  );

  it('a long run of calls through one version chain keeps its order (compaction included)', () => {
    let queue = CallQueue.empty<number>();
    const served: number[] = [];
    for (let i = 0; i < 10_000; i++) {
      queue = queue.push(i);
      if (i % 3 !== 0) {
        served.push(queue.at(0) as number);
        queue = queue.shift();
      }
    }
    served.push(...queue);
    expect(served).toEqual(Array.from({ length: 10_000 }, (_, i) => i));
  });
});
