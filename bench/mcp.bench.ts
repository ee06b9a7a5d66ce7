/**
 * tools/call over real stdio, as a client sees it (issue 15's first rows). Two servers run side by side:
 * `wasmactor serve` and the floor, a plain SDK v2 server with one `echo` tool (bench/floors/echoServer.mjs),
 * each driven by an SDK Client. Sampled together (same warm-up, interleaved rounds):
 *   stateful p50 / p99, WAT counter `get` and 12 MiB JS store `count`
 *       vs echo round trip + the bare call in this thread (jco glue, no worker), p50 vs p50, p99 vs p99
 *   stateless p50, counter `get` (fresh instance per call)
 *       vs echo round trip + bare instantiate + call in this thread
 *   1,000 concurrent stateful calls (counter `increment`, all sent at once)
 *       vs 1,000 concurrent echo calls to the SDK server
 *
 * Diagnostics beside the stateful rows (notes, no goals), sampled in the same rounds: what is left when a
 * call's own work is taken away. `wasmactor echo`: this server's built-in `echo` tool (`--echo-tool`;
 * the MCP layer and stdio, no actor, no worker). `SDK echo + worker round trip`: the floor server whose
 * echo makes one bare worker round trip per call (bench/floors/echoWorkerServer.mjs), the least any
 * server that runs each call in a worker thread pays (wasmactor does, so that a call can be killed).
 * `1,000 serial worker round trips`: bare, in this process, one after another (a stateful instance
 * serves a burst one call at a time).
 *
 *   node bench/launch.mjs bench/mcp.bench.ts [calls per round]    (after `npm run build:fixtures`)
 */
import { copyFile, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { bareInstances, exported } from './floors/bare.ts';
import { benchDir, median, p99, type Row, ratioRow, report, sampleTogether } from './harness.ts';
import { connect, echoFloorArgs, echoWorkerFloorArgs, ok, wasmactorArgs } from './servers.ts';

const PER_ROUND = Number(process.argv[2] ?? 100);
const ROUNDS = 5;
const BURST = 1_000;
const root = join(import.meta.dirname, '..');
const fixtures = join(root, 'fixtures', 'build');

async function main(): Promise<void> {
  const dir = benchDir('mcp');
  const floor = await connect(process.execPath, echoFloorArgs);
  const workerFloor = await connect(process.execPath, echoWorkerFloorArgs);
  const ours = await connect(process.execPath, wasmactorArgs(join(dir, 'components'), ['--echo-tool']));
  const bareWorker = serialRoundTrips();
  try {
    // The same counter twice under two ids: one stateful, one stateless.
    const statelessCopy = join(dir, 'counter-stateless.wasm');
    await copyFile(join(fixtures, 'counter.wasm'), statelessCopy);
    const load = (path: string, stateful: boolean) =>
      ours.client.callTool({ name: 'load-component', arguments: { path, stateful } }).then(ok);
    await load(join(fixtures, 'counter.wasm'), true);
    await load(join(fixtures, 'store.wasm'), true);
    await load(statelessCopy, false);
    const names = (await ours.client.listTools()).tools.map((t) => t.name);
    const toolOf = (suffix: string) => {
      const name = names.find((n) => n === suffix || n.endsWith(`__${suffix}`));
      if (!name) throw new Error(`no tool ${suffix} in ${names.join(', ')}`);
      return name;
    };
    const statelessGet = names.find((n) => n.startsWith('counter-stateless__') && n.endsWith('get'));
    if (!statelessGet) throw new Error(`no stateless get in ${names.join(', ')}`);

    const bareCounter = await bareInstances(await readFile(join(fixtures, 'counter.wasm')), dir);
    const bareStore = await bareInstances(await readFile(join(fixtures, 'store.wasm')), dir);
    const counterGet = exported(bareCounter(), 'get');
    const storeCount = exported(bareStore(), 'count');
    const call =
      (name: string, args: Record<string, unknown> = {}) =>
      () =>
        ours.client.callTool({ name, arguments: args }).then(ok);
    const echo = () => floor.client.callTool({ name: 'echo', arguments: { value: 'x' } }).then(ok);
    const echoWorker = () =>
      workerFloor.client.callTool({ name: 'echo', arguments: { value: 'x' } }).then(ok);
    const ourEcho = call('echo', { value: 'x' });

    const s = await sampleTogether(
      {
        echo,
        echoWorker,
        ourEcho,
        counter: call(toolOf('get')),
        store: call(toolOf('count')),
        stateless: call(statelessGet),
        bareCounter: () => counterGet(),
        bareStore: () => storeCount(),
        bareFresh: () => exported(bareCounter(), 'get')(),
      },
      { warmup: 50, rounds: ROUNDS, perRound: PER_ROUND },
    );
    const bursts = await sampleTogether(
      {
        echo: () => Promise.all(Array.from({ length: BURST }, echo)),
        counter: () => Promise.all(Array.from({ length: BURST }, call(toolOf('increment')))),
        bareWorker: () => bareWorker.run(BURST),
      },
      { warmup: 1, rounds: ROUNDS, perRound: 1 },
    );
    const sum = (stat: (x: number[]) => number, a: number[], b: number[]) => stat(a) + stat(b);
    const ms = (value: number) => `${value.toFixed(2)} ms`;
    /** What is left of a stateful call's figure once its own work is taken away (see the header). */
    const leftOver = (stat: (x: number[]) => number, figure: number[]) =>
      `diagnostics: wasmactor echo ${ms(stat(s.ourEcho))}; SDK echo + worker round trip ${ms(stat(s.echoWorker))} (figure ${(stat(figure) / stat(s.echoWorker)).toFixed(2)}x that)`;
    const rows: Row[] = [
      ratioRow(
        'stateful tools/call p50, WAT counter',
        { label: 'SDK echo + bare call', value: sum(median, s.echo, s.bareCounter) },
        median(s.counter),
        'ms',
        1.3,
        leftOver(median, s.counter),
      ),
      ratioRow(
        'stateful tools/call p50, 12 MiB JS store',
        { label: 'SDK echo + bare call', value: sum(median, s.echo, s.bareStore) },
        median(s.store),
        'ms',
        1.3,
        leftOver(median, s.store),
      ),
      ratioRow(
        'stateful p99, WAT counter',
        { label: 'SDK echo + bare call', value: sum(p99, s.echo, s.bareCounter) },
        p99(s.counter),
        'ms',
        1.5,
        leftOver(p99, s.counter),
      ),
      ratioRow(
        'stateful p99, 12 MiB JS store',
        { label: 'SDK echo + bare call', value: sum(p99, s.echo, s.bareStore) },
        p99(s.store),
        'ms',
        1.5,
        leftOver(p99, s.store),
      ),
      ratioRow(
        `${BURST.toLocaleString('en')} concurrent stateful calls`,
        { label: 'SDK echo server, same burst', value: median(bursts.echo) },
        median(bursts.counter),
        'ms',
        2,
        `diagnostics: ${BURST.toLocaleString('en')} serial bare worker round trips ${ms(median(bursts.bareWorker))}`,
      ),
      ratioRow(
        'stateless tools/call p50, small component',
        { label: 'SDK echo + bare instantiate + call', value: sum(median, s.echo, s.bareFresh) },
        median(s.stateless),
        'ms',
        1.3,
      ),
    ];
    report(`tools/call over stdio (${ROUNDS} rounds x ${PER_ROUND} calls each, interleaved)`, rows);
  } finally {
    await ours.client.close();
    await floor.client.close();
    await workerFloor.client.close();
    await bareWorker.close();
  }
}

/** A bare worker that answers each message at once; `run(n)` makes n round trips one after another. */
function serialRoundTrips() {
  const worker = new Worker(
    `const { parentPort } = require('node:worker_threads');
     parentPort.on('message', (m) => parentPort.postMessage({ id: m.id, type: 'ok', value: 1 }));`,
    { eval: true },
  );
  const roundTrip = (id: number) =>
    new Promise<void>((resolve) => {
      worker.once('message', () => resolve());
      worker.postMessage({ type: 'call', instanceId: 1, fn: 0, args: {}, id });
    });
  return {
    async run(n: number) {
      for (let i = 0; i < n; i++) await roundTrip(i);
    },
    close: () => worker.terminate(),
  };
}

await main();
