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
 *   node bench/launch.mjs bench/mcp.bench.ts [calls per round]    (after `npm run build:fixtures`)
 */
import { copyFile, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { bareInstances, exported } from './floors/bare.ts';
import { benchDir, median, p99, type Row, ratioRow, report, sampleTogether } from './harness.ts';
import { connect, echoFloorArgs, ok, wasmactorArgs } from './servers.ts';

const PER_ROUND = Number(process.argv[2] ?? 100);
const ROUNDS = 5;
const BURST = 1_000;
const root = join(import.meta.dirname, '..');
const fixtures = join(root, 'fixtures', 'build');

async function main(): Promise<void> {
  const dir = benchDir('mcp');
  const floor = await connect(process.execPath, echoFloorArgs);
  const ours = await connect(process.execPath, wasmactorArgs(join(dir, 'components')));
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

    const s = await sampleTogether(
      {
        echo,
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
      },
      { warmup: 1, rounds: ROUNDS, perRound: 1 },
    );
    const sum = (stat: (x: number[]) => number, a: number[], b: number[]) => stat(a) + stat(b);
    const rows: Row[] = [
      ratioRow(
        'stateful tools/call p50, WAT counter',
        { label: 'SDK echo + bare call', value: sum(median, s.echo, s.bareCounter) },
        median(s.counter),
        'ms',
        1.3,
      ),
      ratioRow(
        'stateful tools/call p50, 12 MiB JS store',
        { label: 'SDK echo + bare call', value: sum(median, s.echo, s.bareStore) },
        median(s.store),
        'ms',
        1.3,
      ),
      ratioRow(
        'stateful p99, WAT counter',
        { label: 'SDK echo + bare call', value: sum(p99, s.echo, s.bareCounter) },
        p99(s.counter),
        'ms',
        1.5,
      ),
      ratioRow(
        'stateful p99, 12 MiB JS store',
        { label: 'SDK echo + bare call', value: sum(p99, s.echo, s.bareStore) },
        p99(s.store),
        'ms',
        1.5,
      ),
      ratioRow(
        `${BURST.toLocaleString('en')} concurrent stateful calls`,
        { label: 'SDK echo server, same burst', value: median(bursts.echo) },
        median(bursts.counter),
        'ms',
        2,
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
  }
}

await main();
