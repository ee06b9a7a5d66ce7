/**
 * The server as a client sees it, from outside (issue 15's rows on loading, start-up and memory):
 *   cold load     `load-component` of the 12 MiB JS store, timed end to end as a client sees it (decode,
 *                 transpile, compile, hashing, schema compilation, store writes), in a warm server, each
 *                 sample a distinct copy (nothing cached)  vs  transpile + compile of the same copies in
 *                 this warm process (median vs median)
 *   restart       a server started on a component directory that holds the store, with the transpile
 *                 cache warm: spawn to the first answered call of the store  vs  the cold load; printed
 *                 with its parts (spawn to the initialize answer, then to the first answer) and an empty
 *                 server's start-up in the same rounds: most of a restart is starting the process, and
 *                 the difference (the component's own share) is printed as an extra line, not a goal
 *   start-up      spawn to the first tools/list answer, no components  vs  the SDK echo server's
 *   idle memory   RSS of the idle server after start-up, no components  vs  the SDK echo server's
 *   one idle JS component after one stateless call: the server's RSS growth (load + one call + idle)
 *
 *   node bench/launch.mjs bench/server.bench.ts [rounds]    (after `npm run build:fixtures`)
 */
import { spawnSync } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { distIsCurrent } from '../scripts/buildStamp.mjs';
import { distinctCopy, transpileAndCompile } from './floors/bare.ts';
import {
  benchDir,
  boundRow,
  MiB,
  median,
  type Row,
  ratioRow,
  report,
  rssOf,
  sleep,
  timeOnce,
} from './harness.ts';
import { connect, echoFloorArgs, ok, wasmactorArgs } from './servers.ts';

const ROUNDS = Number(process.argv[2] ?? 3);
const root = join(import.meta.dirname, '..');
const storePath = join(root, 'fixtures', 'build', 'store.wasm');
/** How long a server is left idle before its memory is read. */
const IDLE_MS = 3_000;

/** `--worker-idle MS` when this server has the flag (idle stateless workers reaped), else nothing. */
function workerIdleFlag(ms: number): string[] {
  const help = spawnSync(process.execPath, [join(root, 'bin', 'wasmactor.js'), 'help', 'serve'], {
    encoding: 'utf8',
  });
  return `${help.stdout}${help.stderr}`.includes('--worker-idle') ? ['--worker-idle', String(ms)] : [];
}

/** Spawn to first tools/list answer (ms), and the idle RSS (bytes) after `idleMs`. */
async function startOnce(
  command: string,
  args: string[],
  idleMs = IDLE_MS,
): Promise<{ ms: number; rss: number }> {
  let connected: Awaited<ReturnType<typeof connect>> | undefined;
  const ms = await timeOnce(async () => {
    connected = await connect(command, args);
    await connected.client.listTools();
  });
  const { client, pid } = connected as Awaited<ReturnType<typeof connect>>;
  await sleep(idleMs);
  const rss = rssOf(pid) ?? Number.NaN;
  await client.close();
  return { ms, rss };
}

async function main(): Promise<void> {
  const dir = benchDir('server');
  const rows: Row[] = [];
  const reaping = workerIdleFlag(1_000);

  // --- start-up and idle memory, interleaved with the floor's
  // What bin/wasmactor.js runs in this checkout (`npm run bench` builds dist/ first, as `npm start` does;
  // bench/startup.bench.ts prints the installed package, dist/ and src/ through tsx side by side).
  const ran = distIsCurrent(root)
    ? 'the checkout running dist/ (built from these sources)'
    : 'the checkout running src/ through tsx (dist/ absent or stale)';
  const start = { ours: [] as number[], floor: [] as number[] };
  const rss = { ours: [] as number[], floor: [] as number[] };
  await startOnce(process.execPath, echoFloorArgs); // warm-up: disk caches
  await startOnce(process.execPath, wasmactorArgs(join(dir, 'warm')));
  for (let round = 0; round < ROUNDS; round++) {
    const order = round % 2 ? (['floor', 'ours'] as const) : (['ours', 'floor'] as const);
    for (const which of order) {
      const args = which === 'ours' ? wasmactorArgs(join(dir, `empty-${round}`)) : echoFloorArgs;
      const { ms, rss: bytes } = await startOnce(process.execPath, args);
      start[which].push(ms);
      rss[which].push(bytes / MiB);
    }
  }
  rows.push(
    ratioRow(
      'start-up: spawn to first tools/list answer',
      { label: 'SDK echo server', value: median(start.floor) },
      median(start.ours),
      'ms',
      1.5,
      ran,
    ),
    ratioRow(
      'idle server memory, no components',
      { label: 'SDK echo server', value: median(rss.floor) },
      median(rss.ours),
      'MiB',
      1.5,
      `${ran}; RSS after ${IDLE_MS} ms idle`,
    ),
  );

  // --- cold load in a warm server vs transpile + compile in this warm process
  const bytes = await readFile(storePath);
  const copies: string[] = [];
  for (let i = 0; i <= ROUNDS; i++) {
    const path = join(dir, `store-copy-${i}.wasm`);
    // A tag of this run: even a cache that outlived an earlier run has never seen these bytes.
    await writeFile(path, distinctCopy(bytes, `cold-${i}-${process.pid}-${Date.now()}`));
    copies.push(path);
  }
  const server = await connect(process.execPath, wasmactorArgs(join(dir, 'cold-components')));
  const cold: number[] = [];
  const floor: number[] = [];
  try {
    const load = (path: string) =>
      server.client.callTool({ name: 'load-component', arguments: { path } }).then(ok);
    // Warm-up on both sides (jco's own wasm started, modules loaded): copy 0, not measured.
    await load(copies[0] as string);
    await transpileAndCompile(await readFile(copies[0] as string));
    for (let i = 1; i <= ROUNDS; i++) {
      const path = copies[i] as string;
      const copy = await readFile(path);
      const pair = [
        async () => cold.push(await timeOnce(() => load(path))),
        async () => floor.push(await timeOnce(() => transpileAndCompile(copy))),
      ];
      for (const run of i % 2 ? pair : [...pair].reverse()) await run();
    }
  } finally {
    await server.client.close();
  }
  const coldMs = median(cold);
  rows.push(
    ratioRow(
      'cold load, 12 MiB JS, server warm (load-component end to end)',
      { label: 'transpile + compile, warm process', value: median(floor) },
      coldMs,
      'ms',
      1.15,
    ),
  );

  // --- restart: the store in the component directory, the transpile cache warm
  const restartDir = join(dir, 'restart-components');
  {
    const first = await connect(process.execPath, wasmactorArgs(restartDir));
    await first.client.callTool({ name: 'load-component', arguments: { path: storePath } }).then(ok);
    await first.client.close();
  }
  // Each round also starts a server on an empty directory (the same start-up as the start-up row): the
  // restart's figure is spawn to first answer, and its parts say how much of it is the process start.
  const restart: number[] = [];
  const ready: number[] = [];
  const empty: number[] = [];
  for (let round = 0; round <= ROUNDS; round++) {
    const once = async () => {
      let connected: Awaited<ReturnType<typeof connect>> | undefined;
      let readyMs = 0;
      const started = performance.now();
      const ms = await timeOnce(async () => {
        connected = await connect(process.execPath, wasmactorArgs(restartDir));
        readyMs = performance.now() - started;
        await connected.client.callTool({ name: 'count', arguments: {} }).then(ok);
      });
      await connected?.client.close();
      if (round > 0) {
        restart.push(ms); // the first one warms the disk caches
        ready.push(readyMs);
      }
    };
    const bare = async () => {
      const { ms } = await startOnce(process.execPath, wasmactorArgs(join(dir, `restart-empty-${round}`)), 0);
      if (round > 0) empty.push(ms);
    };
    for (const run of round % 2 ? [bare, once] : [once, bare]) await run();
  }
  rows.push(
    ratioRow(
      'restart: component in the transpile cache, to its first answer',
      { label: 'cold load (above)', value: coldMs },
      median(restart),
      'ms',
      0.1,
    ),
  );
  const share = median(restart) - median(empty);
  const restartParts =
    `restart, its parts (medians of ${ROUNDS}): spawn to the initialize answer ${median(ready).toFixed(0)} ms, ` +
    `then to the first answer of the store +${(median(restart) - median(ready)).toFixed(0)} ms; ` +
    `an empty server in the same rounds, spawn to its first tools/list answer: ${median(empty).toFixed(0)} ms\n` +
    `extra row (not one of issue 15's goals): restart minus an empty server's start-up, the component's own share: ` +
    `${share.toFixed(0)} ms = ${(share / coldMs).toFixed(2)}x the cold load\n`;

  // --- one idle JS component after one stateless call
  const growth: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const s = await connect(process.execPath, wasmactorArgs(join(dir, `idle-${round}`), reaping));
    await s.client.listTools();
    await sleep(IDLE_MS);
    const before = rssOf(s.pid) ?? Number.NaN;
    await s.client.callTool({ name: 'load-component', arguments: { path: storePath } }).then(ok);
    await s.client.callTool({ name: 'count', arguments: {} }).then(ok);
    await sleep(IDLE_MS);
    growth.push(((rssOf(s.pid) ?? Number.NaN) - before) / MiB);
    await s.client.close();
  }
  rows.push(
    boundRow(
      'one idle JS component after one stateless call',
      median(growth),
      'MiB',
      30,
      reaping.length
        ? `server RSS growth, idle ${IDLE_MS} ms with --worker-idle 1000`
        : `server RSS growth, idle ${IDLE_MS} ms; this server has no --worker-idle: idle workers are kept`,
    ),
  );
  report(`The server from outside (${ROUNDS} rounds, medians)`, rows);
  process.stdout.write(restartParts);
}

await main();
