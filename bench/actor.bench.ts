/**
 * The actor's overhead: 1,000 serialized calls to a stateful `counter` through the component actor
 * (queued all at once, served one at a time) vs the same 1,000 calls made one after another directly on
 * a runtime instance. Run with `npx tsx bench/actor.bench.ts` (after `npm run build:fixtures`).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ComponentHost } from '../src/machines/ComponentHost.ts';
import { createRuntime } from '../src/runtime/index.ts';

const CALLS = 1_000;
const ROUNDS = 5;
const counterPath = join(import.meta.dirname, '..', 'fixtures', 'build', 'counter.wasm');

async function main(): Promise<void> {
  const cacheDir = await mkdtemp(join(tmpdir(), 'wasmactor-bench-'));
  const runtime = createRuntime({ cacheDir });
  const prepared = await runtime.prepare({ path: counterPath });
  const instance = await prepared.instantiate({});
  const host = new ComponentHost({ runtime });
  await host.load({ id: 'counter', source: { path: counterPath }, stateful: true });
  try {
    const direct: number[] = [];
    const actor: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      let started = performance.now();
      for (let i = 0; i < CALLS; i++) await instance.call('increment', {});
      direct.push(performance.now() - started);

      started = performance.now();
      await Promise.all(Array.from({ length: CALLS }, () => host.call('increment', {})));
      actor.push(performance.now() - started);
    }
    const best = (xs: number[]) => Math.min(...xs);
    const rate = (ms: number) => Math.round((CALLS / ms) * 1000);
    console.log(`${CALLS} serialized calls to a stateful counter, best of ${ROUNDS} rounds`);
    console.log(
      `  direct on the runtime instance: ${best(direct).toFixed(1)} ms  ${rate(best(direct))} calls/s`,
    );
    console.log(
      `  through the component actor:    ${best(actor).toFixed(1)} ms  ${rate(best(actor))} calls/s`,
    );
    console.log(`  actor overhead (time ratio actor/direct): ${(best(actor) / best(direct)).toFixed(2)}x`);
  } finally {
    await host.stop();
    await instance.dispose();
    await prepared.dispose();
    await rm(cacheDir, { recursive: true, force: true });
  }
}

await main();
