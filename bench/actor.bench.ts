/**
 * The component actor's per-call path (issue 15: "per-call cost, burst of 16,000 vs 1,000").
 *
 * Row: the cost per call of a burst of 16,000 calls to a stateful counter sent at once through
 * ComponentHost (queued, served one at a time), against the cost per call of a burst of 1,000, sampled
 * the same way in the same run. A queue copied per event makes the big burst cost more per call; the
 * goal is flat (<= 1.1x).
 *
 * Diagnostics (no goal in the issue): the same 1,000 calls made one after another directly on a runtime
 * instance (what the actor adds to a call), and the actor alone with an in-process instance that answers
 * at once, against a minimal XState machine that queues a call in context and serves it (DESIGN.md:
 * "XState itself is cheap", ~6.5 µs per call).
 *
 *   node bench/launch.mjs bench/actor.bench.ts [rounds]     (after `npm run build:fixtures`)
 */

import { join } from 'node:path';
import { assign, createActor, setup } from 'xstate';
import { ComponentHost } from '../src/machines/ComponentHost.ts';
import {
  type CallOutcome,
  type ComponentInstance,
  type ComponentRuntime,
  createRuntime,
  type PreparedComponent,
} from '../src/runtime/index.ts';
import { benchDir, median, ratioRow, report, sampleTogether } from './harness.ts';

const ROUNDS = Number(process.argv[2] ?? 7);
const SMALL = 1_000;
const BIG = 16_000;
const counterPath = join(import.meta.dirname, '..', 'fixtures', 'build', 'counter.wasm');

const burst = (host: ComponentHost, tool: string, n: number) =>
  Promise.all(Array.from({ length: n }, () => host.call(tool, {})));

/** A runtime whose instance answers at once, in this thread: what is left is the actor's own cost. */
function instantRuntime(): ComponentRuntime {
  const outcome: CallOutcome = {
    ok: true,
    value: 0,
    output: { stdout: '', stderr: '', truncated: false },
    durationMs: 0,
  };
  const instance: ComponentInstance = { call: async () => outcome, dispose: async () => {}, alive: true };
  const tool = {
    name: 'noop',
    description: 'noop',
    inputSchema: { type: 'object', properties: {} },
    outputSchema: { type: 'object' },
    function: { name: 'noop', params: [] },
  } as PreparedComponent['tools'][number];
  const prepared: PreparedComponent = {
    sha256: 'instant',
    types: { functions: [], imports: [] },
    tools: [tool],
    instantiate: async () => instance,
    callOnce: async () => outcome,
    dispose: async () => {},
  };
  return { prepare: async () => prepared };
}

/** DESIGN.md's floor for the actor: a minimal v5 machine that queues a call in context and serves it. */
function minimalActor() {
  type Ctx = { queue: (() => void)[]; busy: boolean };
  const machine = setup({
    types: { context: {} as Ctx, events: {} as { type: 'CALL'; done: () => void } | { type: 'DONE' } },
  }).createMachine({
    context: { queue: [], busy: false },
    on: {
      CALL: { actions: assign({ queue: ({ context, event }) => [...context.queue, event.done] }) },
      DONE: { actions: assign({ busy: false }) },
    },
    always: {
      guard: ({ context }) => !context.busy && context.queue.length > 0,
      actions: [
        ({ context, self }) => {
          const done = context.queue[0] as () => void;
          queueMicrotask(() => {
            self.send({ type: 'DONE' });
            done();
          });
        },
        assign({ queue: ({ context }) => context.queue.slice(1), busy: true }),
      ],
    },
  });
  const actor = createActor(machine).start();
  return (n: number) =>
    Promise.all(
      Array.from({ length: n }, () => new Promise<void>((done) => actor.send({ type: 'CALL', done }))),
    );
}

const cacheDir = benchDir('actor-cache');
const runtime = createRuntime({ cacheDir });
const host = new ComponentHost({ runtime });
const instant = new ComponentHost({ runtime: instantRuntime() });
const prepared = await runtime.prepare({ path: counterPath });
const direct = await prepared.instantiate({});
try {
  await host.load({ id: 'counter', source: { path: counterPath }, stateful: true });
  await instant.load({ id: 'instant', source: { path: 'instant.wasm' }, stateful: true });
  const minimal = minimalActor();

  const samples = await sampleTogether(
    {
      small: () => burst(host, 'increment', SMALL),
      big: () => burst(host, 'increment', BIG),
      direct: async () => {
        for (let i = 0; i < SMALL; i++) await direct.call('increment', {});
      },
      instant: () => burst(instant, 'noop', SMALL),
      minimal: () => minimal(SMALL),
    },
    { warmup: 1, rounds: ROUNDS, perRound: 1 },
  );
  const perCall = (ms: number[], n: number) => (median(ms) / n) * 1000;
  const small = perCall(samples.small, SMALL);
  const big = perCall(samples.big, BIG);
  report(`The actor's per-call path (stateful counter through ComponentHost, median of ${ROUNDS} rounds)`, [
    ratioRow(
      `per-call cost, burst of ${BIG.toLocaleString('en')} vs ${SMALL.toLocaleString('en')}`,
      { label: `burst of ${SMALL.toLocaleString('en')}`, value: small },
      big,
      'µs',
      1.1,
    ),
  ]);
  const directUs = perCall(samples.direct, SMALL);
  const instantUs = perCall(samples.instant, SMALL);
  const minimalUs = perCall(samples.minimal, SMALL);
  process.stdout.write(
    [
      'diagnostics (per call, same run):',
      `  through the actor ${small.toFixed(1)} µs vs direct on the instance ${directUs.toFixed(1)} µs (x${(small / directUs).toFixed(2)})`,
      `  the actor alone (instant in-process instance) ${instantUs.toFixed(1)} µs vs a minimal XState queue machine ${minimalUs.toFixed(1)} µs (x${(instantUs / minimalUs).toFixed(2)})`,
      '',
    ].join('\n'),
  );
} finally {
  await host.stop();
  await instant.stop();
  await direct.dispose();
  await prepared.dispose();
}
