/**
 * Capacity benchmark: memory per idle component, memory per stateful instance, and throughput of
 * concurrent stateless calls on one core vs all cores, for a WAT fixture (counter) and a JS fixture
 * (store), each printed beside its floor measured in the same run:
 *   idle component     vs bare WebAssembly.compile of the same core modules
 *   stateful instance  vs one bare idle worker_threads Worker + one bare in-thread instance
 *   stateless calls    concurrency all vs 1 (the speed-up), vs the same calls made one after another
 *                      bare in-thread (jco instantiate + call) on one thread
 *
 * Memory is measured in a fresh child process per sample (RSS does not shrink reliably once memory was
 * used, and V8 shares the compiled code of identical wasm bytes), after `gc()` and a pause; the figure
 * is the delta over the child's own baseline divided by the number of items. Each idle component is a
 * distinct copy: a custom section appended to every core module makes the bytes differ, so V8 cannot
 * deduplicate them (it does for identical bytes: N compiles of the same module cost about one).
 *
 * Run: node bench/launch.mjs bench/capacity.bench.ts [rounds]   (default 3 memory rounds, 5 throughput
 * rounds). Each memory sample runs in a child started the same way (bench/launch.mjs: tsx registered by
 * its API), never with tsx's loader in execArgv: workers inherit execArgv, and under the `tsx` command
 * every worker loaded tsx as well (inflating the per-instance figure) and a child could die importing
 * tsx's `#cjs-loader`.
 */

import { fork } from 'node:child_process';
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { transpileBytes } from '@bytecodealliance/jco-transpile';
import { WASIShim } from '@bytecodealliance/preview2-shim/instantiation';
import { buildFixtures } from '../fixtures/build.ts';
import { ComponentHost } from '../src/machines/index.ts';
import { createRuntime, type JsonObject } from '../src/runtime/index.ts';
import { patchGlue } from '../src/runtime/prepare/transpileCache.ts';
import { distinctCopy, type Exports, exported } from './floors/bare.ts';
import { benchDir } from './harness.ts';

const MiB = 1024 * 1024;
const ROUNDS = process.argv[2] === '--child' ? 0 : Number(process.argv[2] ?? 3);
const THROUGHPUT_ROUNDS = 5;
/** Idle components per memory sample. */
const IDLE_COPIES = { counter: 100, store: 5 } as const;
/** Stateful instances (and bare workers, bare instances) per memory sample. */
const INSTANCES = 5;
/** Calls per throughput sample. */
const CALLS = { counter: 400, store: 100 } as const;
/** The call of each fixture: a cheap one, and its bare equivalent. */
const CALL = {
  counter: { tool: 'add', args: { n: 1 } as JsonObject, bare: (e: Exports) => exported(e, 'add')(1) },
  store: { tool: 'count', args: {} as JsonObject, bare: (e: Exports) => exported(e, 'count')() },
} as const;
type Fixture = keyof typeof CALL;
const FIXTURES: Fixture[] = ['counter', 'store'];

type Instantiate = (
  getCoreModule: (name: string) => WebAssembly.Module,
  imports: Record<string, unknown>,
  instantiateCore: (m: WebAssembly.Module, i: WebAssembly.Imports) => WebAssembly.Instance,
) => Exports;

/** What one child process measures; the paths are prepared by the parent. */
type Job =
  | { kind: 'prepare'; cacheDir: string; paths: string[] }
  | { kind: 'compile'; coreDirs: string[] }
  | { kind: 'worker'; count: number; tsx: boolean }
  | { kind: 'instance'; cacheDir: string; path: string; fixture: Fixture; count: number }
  | { kind: 'bare-instance'; coreDir: string; fixture: Fixture; count: number };

interface MemoryDelta {
  rss: number;
  heapUsed: number;
  external: number;
  arrayBuffers: number;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

// ---------------------------------------------------------------------------------------------------
// Child side: one memory sample.

async function settle(): Promise<void> {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error('the memory child needs --expose-gc');
  for (let i = 0; i < 4; i++) {
    gc();
    await sleep(100);
  }
}

function usage(): MemoryDelta {
  const { rss, heapUsed, external, arrayBuffers } = process.memoryUsage();
  return { rss, heapUsed, external, arrayBuffers };
}

/** Loads the bare floor of one component: jco's glue and its compiled core modules, in this thread. */
async function loadBare(coreDir: string): Promise<() => Exports> {
  const modules: Record<string, WebAssembly.Module> = {};
  for (const file of await readdir(coreDir)) {
    if (file.endsWith('.wasm'))
      modules[file] = await WebAssembly.compile(
        (await readFile(join(coreDir, file))) as Uint8Array<ArrayBuffer>,
      );
  }
  const { instantiate } = (await import(pathToFileURL(join(coreDir, 'component.mjs')).href)) as {
    instantiate: Instantiate;
  };
  return () =>
    instantiate(
      (name) => modules[name] as WebAssembly.Module,
      new WASIShim({ sandbox: { env: {}, preopens: {}, enableNetwork: false } }).getImportObject(),
      (m, i) => new WebAssembly.Instance(m, i),
    );
}

async function runJob(job: Job): Promise<{ delta: MemoryDelta; count: number }> {
  const keep: unknown[] = [];
  const cleanup: (() => Promise<unknown>)[] = [];
  // Everything a sample needs before its baseline: inputs, modules, one warm item where relevant.
  let make: () => Promise<unknown>;
  let count: number;
  switch (job.kind) {
    case 'prepare': {
      const runtime = createRuntime({ cacheDir: job.cacheDir });
      const paths = [...job.paths];
      count = paths.length;
      make = async () => {
        const prepared = await runtime.prepare({ path: paths.shift() as string });
        cleanup.push(() => prepared.dispose());
        return prepared;
      };
      break;
    }
    case 'compile': {
      const inputs: Uint8Array[][] = [];
      for (const dir of job.coreDirs) {
        const files = (await readdir(dir)).filter((f) => f.endsWith('.wasm'));
        inputs.push(await Promise.all(files.map((f) => readFile(join(dir, f)))));
      }
      count = inputs.length;
      let next = 0;
      make = async () => {
        // The inputs stay alive (they are in the baseline); only what compiling adds is counted.
        const cores = inputs[next++] as Uint8Array[];
        return Promise.all(cores.map((b) => WebAssembly.compile(b as Uint8Array<ArrayBuffer>)));
      };
      break;
    }
    case 'worker': {
      count = job.count;
      // The smallest worker that stays alive: it waits for messages and answers one ping. With `tsx`,
      // it first registers tsx's loader as instanceWorker.boot.js does (a diagnostic, not a floor).
      const echo =
        "const port = require('node:worker_threads').parentPort; port.on('message', (m) => port.postMessage(m));";
      const code = job.tsx
        ? `import(${JSON.stringify(import.meta.resolve('tsx/esm/api'))}).then((tsx) => { tsx.register(); ${echo} });`
        : echo;
      make = async () => {
        const worker = new Worker(code, { eval: true });
        worker.unref();
        const pong = new Promise((resolve) => worker.once('message', resolve));
        worker.postMessage('ping');
        await pong;
        cleanup.push(() => worker.terminate());
        return worker;
      };
      break;
    }
    case 'instance': {
      const prepared = await createRuntime({ cacheDir: job.cacheDir }).prepare({ path: job.path });
      cleanup.push(() => prepared.dispose());
      const { tool, args } = CALL[job.fixture];
      count = job.count;
      make = async () => {
        const instance = await prepared.instantiate({});
        await instance.call(tool, args);
        return instance;
      };
      // One instance before the baseline: the main thread's one-time costs (worker machinery) are not
      // counted per instance.
      keep.push(await make());
      break;
    }
    case 'bare-instance': {
      const fresh = await loadBare(job.coreDir);
      const call = CALL[job.fixture].bare;
      count = job.count;
      make = async () => {
        const exports = fresh();
        call(exports);
        return exports;
      };
      keep.push(await make());
      break;
    }
  }
  await settle();
  const before = usage();
  for (let i = 0; i < count; i++) keep.push(await make());
  await settle();
  const after = usage();
  await Promise.all(cleanup.map((dispose) => dispose()));
  keep.length = 0;
  const delta: MemoryDelta = {
    rss: after.rss - before.rss,
    heapUsed: after.heapUsed - before.heapUsed,
    external: after.external - before.external,
    arrayBuffers: after.arrayBuffers - before.arrayBuffers,
  };
  return { delta, count };
}

// ---------------------------------------------------------------------------------------------------
// Parent side.

/** Runs one memory sample in a fresh child process; returns the per-item delta. */
function sample(job: Job): Promise<MemoryDelta> {
  return new Promise((resolve, reject) => {
    const launcher = join(import.meta.dirname, 'launch.mjs');
    const child = fork(launcher, [import.meta.filename, '--child', JSON.stringify(job)], {
      execArgv: ['--expose-gc'],
      stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    });
    let result: { delta: MemoryDelta; count: number } | undefined;
    child.on('message', (message) => {
      result = message as { delta: MemoryDelta; count: number };
    });
    child.on('error', reject);
    child.on('exit', (code) => {
      if (!result) return reject(new Error(`memory sample ${job.kind} exited with code ${code}`));
      const { delta, count } = result;
      resolve({
        rss: delta.rss / count,
        heapUsed: delta.heapUsed / count,
        external: delta.external / count,
        arrayBuffers: delta.arrayBuffers / count,
      });
    });
  });
}

interface Copies {
  /** Component files, each a distinct copy. */
  paths: string[];
  /** Per copy: jco's output (patched glue as component.mjs + core modules), for the bare floors. */
  coreDirs: string[];
}

/** Writes `n` distinct copies of a fixture, fills the runtime's cache for them, transpiles the floors. */
async function makeCopies(
  fixture: Fixture,
  bytes: Uint8Array,
  n: number,
  dir: string,
  cacheDir: string,
): Promise<Copies> {
  const runtime = createRuntime({ cacheDir });
  const copies: Copies = { paths: [], coreDirs: [] };
  const coreTails = new Set<string>();
  for (let i = 0; i < n; i++) {
    const copy = distinctCopy(bytes, `${fixture}-${i}`);
    const path = join(dir, `${fixture}-${i}.wasm`);
    await writeFile(path, copy);
    // Warm the transpile cache, and check that the copy still loads and answers.
    const prepared = await runtime.prepare({ path });
    await prepared.callOnce(CALL[fixture].tool, CALL[fixture].args, {});
    await prepared.dispose();
    const { files } = await transpileBytes(copy, { name: 'component', instantiation: 'async' });
    const coreDir = join(dir, `${fixture}-${i}-bare`);
    const tails: string[] = [];
    await mkdir(coreDir);
    for (const [name, content] of Object.entries(files)) {
      if (name.endsWith('.wasm')) {
        await writeFile(join(coreDir, name), content);
        tails.push(Buffer.from(content).toString('base64').slice(-64));
      } else if (name === 'component.js') {
        await writeFile(join(coreDir, 'component.mjs'), patchGlue(new TextDecoder().decode(content)));
      }
    }
    coreTails.add(tails.join());
    copies.paths.push(path);
    copies.coreDirs.push(coreDir);
  }
  if (coreTails.size !== n)
    throw new Error(`the copies of ${fixture} have identical core modules: V8 would share them`);
  return copies;
}

/** Median of each field over the samples of one kind. */
function medianDelta(samples: MemoryDelta[]): MemoryDelta {
  return {
    rss: median(samples.map((s) => s.rss)),
    heapUsed: median(samples.map((s) => s.heapUsed)),
    external: median(samples.map((s) => s.external)),
    arrayBuffers: median(samples.map((s) => s.arrayBuffers)),
  };
}

/** MiB, or KiB below 1 MiB. */
function size(bytes: number): string {
  return Math.abs(bytes) < MiB ? `${(bytes / 1024).toFixed(1)} KiB` : `${(bytes / MiB).toFixed(2)} MiB`;
}

/** Below this total (over the N items of a sample) a floor is noise, and a ratio against it means nothing. */
const NOISE = 256 * 1024;

function ratio(value: number, floor: number, n: number): string {
  return floor * n < NOISE ? 'n/a (floor below noise)' : `x${(value / floor).toFixed(2)}`;
}

function row(label: string, value: string, floorLabel: string, floor: string, times: string): void {
  console.log(
    `  ${label.padEnd(34)} ${value.padStart(12)}   ${floorLabel.padEnd(34)} ${floor.padStart(12)}   ${times}`,
  );
}

async function memoryFigures(
  dir: string,
  cacheDir: string,
  bytes: Record<Fixture, Uint8Array>,
): Promise<void> {
  const copies = {} as Record<Fixture, Copies>;
  for (const fixture of FIXTURES)
    copies[fixture] = await makeCopies(fixture, bytes[fixture], IDLE_COPIES[fixture], dir, cacheDir);

  const jobs: Record<string, Job> = {
    worker: { kind: 'worker', count: INSTANCES, tsx: false },
    'worker-tsx': { kind: 'worker', count: INSTANCES, tsx: true },
  };
  for (const fixture of FIXTURES) {
    const { paths, coreDirs } = copies[fixture];
    jobs[`prepare-${fixture}`] = { kind: 'prepare', cacheDir, paths };
    jobs[`compile-${fixture}`] = { kind: 'compile', coreDirs };
    const path = paths[0] as string;
    const coreDir = coreDirs[0] as string;
    jobs[`instance-${fixture}`] = { kind: 'instance', cacheDir, path, fixture, count: INSTANCES };
    jobs[`bare-${fixture}`] = { kind: 'bare-instance', coreDir, fixture, count: INSTANCES };
  }
  const samples: Record<string, MemoryDelta[]> = Object.fromEntries(Object.keys(jobs).map((k) => [k, []]));
  const names = Object.keys(jobs);
  for (let round = 0; round < ROUNDS; round++) {
    process.stderr.write(`memory round ${round + 1}/${ROUNDS}\n`);
    // Alternate the order, so that neither side always runs right after the other.
    for (const name of round % 2 ? [...names].reverse() : names)
      samples[name]?.push(await sample(jobs[name] as Job));
  }
  const m = Object.fromEntries(Object.entries(samples).map(([k, v]) => [k, medianDelta(v)]));
  const get = (k: string) => m[k] as MemoryDelta;
  const rss = (k: string) => get(k).rss;

  console.log(
    `\nMemory per idle component (prepared, no instance): RSS delta / N, median of ${ROUNDS} fresh processes`,
  );
  for (const fixture of FIXTURES) {
    const value = get(`prepare-${fixture}`);
    const floor = rss(`compile-${fixture}`);
    row(
      `${fixture}, N=${IDLE_COPIES[fixture]} distinct copies`,
      size(value.rss),
      'floor: bare WebAssembly.compile',
      size(floor),
      `${ratio(value.rss, floor, IDLE_COPIES[fixture])}   (JS heap ${size(value.heapUsed)})`,
    );
  }
  console.log(
    `\nMemory per stateful instance (one worker each): RSS delta / ${INSTANCES}, median of ${ROUNDS} fresh processes`,
  );
  const worker = rss('worker');
  for (const fixture of FIXTURES) {
    const bare = rss(`bare-${fixture}`);
    const value = rss(`instance-${fixture}`);
    row(
      `${fixture} instance (worker)`,
      size(value),
      'floor: bare Worker + bare instance',
      size(worker + bare),
      ratio(value, worker + bare, INSTANCES),
    );
    row('', '', '  bare idle Worker', size(worker), '');
    row(
      '',
      '',
      `  bare in-thread ${fixture} instance`,
      size(bare),
      `(JS heap ${size(get(`bare-${fixture}`).heapUsed)})`,
    );
  }
  row(
    'diagnostic: Worker + tsx register()',
    size(rss('worker-tsx')),
    '(what a worker would pay to load TypeScript itself; src/runtime/worker/entry.ts avoids it)',
    '',
    '',
  );
}

// ---------------------------------------------------------------------------------------------------
// Throughput of stateless calls.

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const started = performance.now();
  await fn();
  return performance.now() - started;
}

async function throughputFigures(
  cacheDir: string,
  paths: Record<Fixture, string>,
  dir: string,
): Promise<void> {
  const cores = availableParallelism();
  console.log(
    `\nThroughput of stateless calls through ComponentHost (all sent at once), ${cores} cores, median of ${THROUGHPUT_ROUNDS} rounds`,
  );
  const runtime = createRuntime({ cacheDir });
  const host = new ComponentHost({ runtime });
  try {
    for (const fixture of FIXTURES) {
      const path = paths[fixture];
      const { tool, args, bare } = CALL[fixture];
      const calls = CALLS[fixture];
      await host.load({ id: `${fixture}-c1`, source: { path }, stateful: false, concurrency: 1 });
      await host.load({ id: `${fixture}-cN`, source: { path }, stateful: false, concurrency: cores });
      const toolOf = (id: string) =>
        host.tools().find((t) => t.componentId === id && t.tool.function.name === tool)?.tool.name as string;
      const c1 = toolOf(`${fixture}-c1`);
      const cN = toolOf(`${fixture}-cN`);
      const burst = (name: string) => Promise.all(Array.from({ length: calls }, () => host.call(name, args)));
      // Warm-up: the idle worker pools fill (a worker costs 100-240 ms to start), the glue is imported.
      await burst(c1);
      await burst(cN);

      const bareOnce = await loadBare(join(dir, `${fixture}-0-bare`));
      bare(bareOnce());

      const ms: Record<'c1' | 'cN' | 'seq' | 'bare', number[]> = { c1: [], cN: [], seq: [], bare: [] };
      for (let round = 0; round < THROUGHPUT_ROUNDS; round++) {
        const order = round % 2 ? (['cN', 'c1'] as const) : (['c1', 'cN'] as const);
        for (const which of order) ms[which].push(await timed(() => burst(which === 'c1' ? c1 : cN)));
        ms.seq.push(
          await timed(async () => {
            for (let i = 0; i < calls; i++) await host.call(c1, args);
          }),
        );
        ms.bare.push(
          await timed(async () => {
            for (let i = 0; i < calls; i++) bare(bareOnce());
          }),
        );
      }
      const rate = (samples: number[]) => (calls / median(samples)) * 1000;
      const r = { c1: rate(ms.c1), cN: rate(ms.cN), seq: rate(ms.seq), bare: rate(ms.bare) };
      const perS = (n: number) => `${n.toFixed(0)} /s`;
      const floor = `floor: bare instantiate+call, seq.`;
      row(
        `${fixture} ${tool} x${calls}, concurrency 1`,
        perS(r.c1),
        floor,
        perS(r.bare),
        `x${(r.c1 / r.bare).toFixed(2)}`,
      );
      row(
        `${fixture} ${tool} x${calls}, concurrency ${cores}`,
        perS(r.cN),
        floor,
        perS(r.bare),
        `x${(r.cN / r.bare).toFixed(2)}   speed-up over concurrency 1: x${(r.cN / r.c1).toFixed(2)} (ideal x${cores})`,
      );
      row(
        `${fixture} ${tool} x${calls}, one at a time`,
        perS(r.seq),
        floor,
        perS(r.bare),
        `x${(r.seq / r.bare).toFixed(2)}`,
      );
      await host.unload(`${fixture}-c1`);
      await host.unload(`${fixture}-cN`);
    }
  } finally {
    await host.stop();
  }
}

async function main(): Promise<void> {
  const paths = (await buildFixtures({ only: FIXTURES })) as Record<Fixture, string>;
  const bytes = {} as Record<Fixture, Uint8Array>;
  for (const fixture of FIXTURES) bytes[fixture] = await readFile(paths[fixture]);
  const dir = benchDir('capacity');
  const cacheDir = join(dir, 'cache');
  try {
    console.log(
      `capacity: ${FIXTURES.map((f) => `${f} ${(bytes[f].length / 1024).toFixed(0)} KiB`).join(', ')}; node ${process.version}`,
    );
    await memoryFigures(dir, cacheDir, bytes);
    await throughputFigures(cacheDir, paths, dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

if (process.argv[2] === '--child') {
  const result = await runJob(JSON.parse(process.argv[3] as string) as Job);
  process.send?.(result);
  process.disconnect?.();
} else {
  await main();
}
