/**
 * Stateless calls and idle memory (issue 15, items 3 and 5), each figure beside its floor or goal, in one run:
 *   runtime   callOnce p50/p99, back to back and with think time between calls, for a WAT component
 *             (counter) and a 12 MiB JS one (store); floor: bare instantiate + call in this thread
 *   server    stateless tools/call p50 over stdio (counter `get`); floor: the `echo` tool p50 of the same
 *             server + the bare instantiate + call p50
 *   memory    server RSS and threads (`--worker-idle 2s`): bare, idle; right after loading the JS component
 *             stateless and one call; then idle again (the goal: <= 30 MiB over the bare server, idle
 *             workers reaped). RSS is read after `--settle` seconds idle: V8 collects garbage ~20 s after
 *             activity stops, and RSS read earlier counts it.
 *   worker    RSS of one worker thread: bare, importing preview2-shim, and as an instance worker boots
 *
 * `--src DIR` measures another tree of the sources (a copy of main's `src/` beside `bin/`, to compare
 * before and after in the same run). Nothing is written to the user's cache: every cache is a temp dir.
 *
 *   npx tsx bench/stateless.bench.ts [--calls N] [--src DIR/src] [--settle SECONDS (default 25)]
 *                                    [--only runtime|server|worker]   (server includes memory)
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { transpileBytes } from '@bytecodealliance/jco-transpile';
import { WASIShim } from '@bytecodealliance/preview2-shim/instantiation';
import { Client } from '@modelcontextprotocol/client';
import { StdioClientTransport } from '@modelcontextprotocol/client/stdio';
import { buildFixtures } from '../fixtures/build.ts';
import type { PreparedComponent, PrepareOptions } from '../src/runtime/index.ts';
import { patchGlue } from '../src/runtime/prepare/transpileCache.ts';

const { values } = parseArgs({
  options: {
    calls: { type: 'string', default: '200' },
    src: { type: 'string' },
    settle: { type: 'string', default: '25' },
    only: { type: 'string' },
  },
});
const SETTLE_MS = Number(values.settle) * 1000;
const CALLS = Number(values.calls);
const root = join(import.meta.dirname, '..');
const src = resolve(values.src ?? join(root, 'src'));
const bin = join(dirname(src), 'bin', 'wasmactor.js');
const hasWorkerIdle = readFileSync(join(src, 'mcp', 'commands', 'serveCommand.ts'), 'utf8').includes(
  'worker-idle',
);
const runtime = (await import(pathToFileURL(join(src, 'runtime', 'index.ts')).href)) as {
  prepareComponent(source: { path: string }, options?: PrepareOptions): Promise<PreparedComponent>;
};

const MiB = 1024 * 1024;
const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

function quantile(samples: number[], q: number): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN;
}

async function sample(n: number, run: () => Promise<unknown>, gapMs = 0): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    if (gapMs) await pause(gapMs);
    const t0 = performance.now();
    await run();
    out.push(performance.now() - t0);
  }
  return out;
}

function row(label: string, ms: number[], floorMs: number, goal?: number): void {
  const p50 = quantile(ms, 0.5);
  const ratio = p50 / floorMs;
  const verdict = goal === undefined ? '' : `  goal <= ${goal}x: ${ratio <= goal ? 'met' : 'not met'}`;
  console.log(
    `${label.padEnd(44)} p50 ${p50.toFixed(3).padStart(8)} ms  p99 ${quantile(ms, 0.99).toFixed(3).padStart(8)} ms  x${ratio.toFixed(2)} of floor ${floorMs.toFixed(3)} ms${verdict}`,
  );
}

type Instantiate = (
  get: (name: string) => WebAssembly.Module,
  imports: Record<string, unknown>,
  core: (m: WebAssembly.Module, i: WebAssembly.Imports) => WebAssembly.Instance,
) => Record<string, (...a: unknown[]) => unknown>;

/** The floor: jco's glue and compiled modules used directly in this thread, a fresh instance per call. */
async function bareFresh(path: string, dir: string): Promise<() => unknown> {
  const { files } = await transpileBytes(await readFile(path), { name: 'component', instantiation: 'async' });
  const modules: Record<string, WebAssembly.Module> = {};
  for (const [name, content] of Object.entries(files)) {
    if (name.endsWith('.wasm')) modules[name] = await WebAssembly.compile(content as Uint8Array<ArrayBuffer>);
  }
  const glue = join(dir, `bare-${Math.random().toString(36).slice(2)}.mjs`);
  await writeFile(glue, patchGlue(new TextDecoder().decode(files['component.js'])));
  const { instantiate } = (await import(pathToFileURL(glue).href)) as { instantiate: Instantiate };
  return (fn = 'get') =>
    instantiate(
      (name) => modules[name] as WebAssembly.Module,
      new WASIShim({ sandbox: { env: {}, preopens: {}, enableNetwork: false } }).getImportObject(),
      (m, i) => new WebAssembly.Instance(m, i),
    )[fn]?.();
}

async function runtimeFigures(paths: Record<string, string>, dir: string): Promise<number> {
  console.log(`\n== runtime: stateless callOnce, ${CALLS} calls per figure (src ${src})`);
  let counterFloor = 1;
  for (const [name, tool, fn] of [
    ['counter', 'get', 'get'],
    ['store', 'count', 'count'],
  ] as const) {
    const path = paths[name] as string;
    const bare = await bareFresh(path, dir);
    const floor = quantile(
      await sample(Math.min(CALLS, 50), async () => (bare as (f: string) => unknown)(fn)),
      0.5,
    );
    if (name === 'counter') counterFloor = floor;
    const component = await runtime.prepareComponent({ path }, { cacheDir: join(dir, 'cache') });
    try {
      const call = () => component.callOnce(tool, {}, {});
      for (let i = 0; i < 10; i++) await call();
      const n = name === 'store' ? Math.min(CALLS, 60) : CALLS;
      row(`${name}: back to back`, await sample(n, call), floor, 1.3);
      row(`${name}: 50 ms think time between calls`, await sample(n, call, 50), floor, 1.3);
    } finally {
      await component.dispose();
    }
  }
  return counterFloor;
}

function procStatus(pid: number): { rssMiB: number; threads: number } {
  const text = readFileSync(`/proc/${pid}/status`, 'utf8');
  const field = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+)`, 'm').exec(text)?.[1] ?? Number.NaN);
  return { rssMiB: field('VmRSS') / 1024, threads: field('Threads') };
}

/** Spawns the server of `src` on stdio with a temp component dir and cache. */
async function startServer(dir: string, extra: string[] = []) {
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [
      bin,
      'serve',
      '--component-dir',
      join(dir, 'components'),
      '--echo-tool',
      '--log-level',
      'warn',
      ...extra,
    ],
    env: { ...process.env, XDG_CACHE_HOME: join(dir, 'xdg-cache') } as Record<string, string>,
    stderr: 'inherit',
  });
  const client = new Client({ name: 'wasmactor-bench', version: '0.0.0' });
  await client.connect(transport);
  const pid = transport.pid as number;
  const call = async (name: string, args: Record<string, unknown> = {}) => {
    const r = await client.callTool({ name, arguments: args });
    if (r.isError) throw new Error(`${name}: ${JSON.stringify(r.content)}`);
    return r;
  };
  return { client, pid, call };
}

async function serverFigures(paths: Record<string, string>, dir: string, bareMs: number): Promise<void> {
  console.log(`\n== server over stdio: stateless tools/call (${bin})`);
  const server = await startServer(join(dir, 'calls'));
  try {
    const echo = () => server.call('echo', { value: 'x' });
    for (let i = 0; i < 50; i++) await echo();
    const echoMs = quantile(await sample(CALLS, echo), 0.5);
    await server.call('load-component', { path: paths.counter, stateful: false });
    const get = () => server.call('get');
    for (let i = 0; i < 20; i++) await get();
    console.log(
      `floor = echo p50 ${echoMs.toFixed(3)} ms + bare instantiate+call p50 ${bareMs.toFixed(3)} ms`,
    );
    row('counter get: back to back', await sample(CALLS, get), echoMs + bareMs, 1.3);
    row('counter get: 50 ms think time between calls', await sample(CALLS, get, 50), echoMs + bareMs, 1.3);
  } finally {
    await server.client.close();
  }

  const idleMs = 2_000;
  console.log(
    `\n== memory: server RSS with one idle JS component (store, 12 MiB), stateless${hasWorkerIdle ? `, --worker-idle ${idleMs / 1000}s` : ' (no --worker-idle in this tree)'}`,
  );
  // The transpile cache is warmed first by another server, as after a restart: what is measured is what
  // the server keeps, not the garbage of a transpile.
  const warm = await startServer(join(dir, 'memory'));
  await warm.call('load-component', { path: paths.store, stateful: false });
  await warm.call('unload-component', { id: 'store' });
  await warm.client.close();
  const mem = await startServer(
    join(dir, 'memory'),
    hasWorkerIdle ? ['--worker-idle', `${idleMs / 1000}s`] : [],
  );
  try {
    // RSS right after work counts garbage V8 has not collected yet; its memory reducer collects it
    // about 20 s after activity stops. The kept figures are read once the server has been idle that long.
    const idle = async (ms: number) => {
      await pause(ms);
      return procStatus(mem.pid);
    };
    const print = (label: string, s: { rssMiB: number; threads: number }, bare?: number) =>
      console.log(
        `${label.padEnd(44)} RSS ${s.rssMiB.toFixed(1).padStart(6)} MiB  threads ${String(s.threads).padStart(3)}${bare === undefined ? '' : `  ${s.rssMiB >= bare ? '+' : ''}${(s.rssMiB - bare).toFixed(1)} MiB over bare`}`,
      );
    await mem.call('echo', { value: 'x' });
    const bare = await idle(SETTLE_MS);
    print(`bare server, idle ${SETTLE_MS / 1000}s`, bare);
    await mem.call('load-component', { path: paths.store, stateful: false });
    await mem.call('count');
    print('1.5 s after loading it and one call', await idle(1_500), bare.rssMiB);
    const kept = await idle(SETTLE_MS);
    print(`then idle ${SETTLE_MS / 1000}s`, kept, bare.rssMiB);
    const goal = kept.rssMiB - bare.rssMiB <= 30 ? 'met' : 'not met';
    console.log(`${''.padEnd(44)} goal <= 30 MiB over bare, idle workers reaped: ${goal}`);
    const t0 = performance.now();
    await mem.call('count');
    console.log(`${'the next call'.padEnd(44)} ${(performance.now() - t0).toFixed(1)} ms`);
  } finally {
    await mem.client.close();
  }
}

/** RSS of a child node process that starts one worker running `code` (ESM), after it settled. */
function workerRss(code: string): Promise<number> {
  const script = `
    import { Worker } from 'node:worker_threads';
    const before = process.memoryUsage.rss();
    const w = ${code ? `new Worker(new URL(${JSON.stringify(code)}))` : 'null'};
    await new Promise((r) => setTimeout(r, 1500));
    process.stdout.write(String(process.memoryUsage.rss()));
    await w?.terminate();`;
  return new Promise((resolveRss, reject) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], { cwd: root });
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
    });
    child.on('error', reject);
    child.on('exit', () => resolveRss(Number(out) / MiB));
  });
}

async function workerFigures(dir: string): Promise<void> {
  console.log('\n== one worker thread: RSS of a node process that starts it, minus one that does not');
  const data = (body: string) => `data:text/javascript,${encodeURIComponent(body)}`;
  const shim = pathToFileURL(
    join(root, 'node_modules', '@bytecodealliance', 'preview2-shim', 'dist', 'nodejs', 'index.js'),
  ).href;
  const none = await workerRss('');
  const rows: [string, string][] = [
    ['bare worker', data('setInterval(() => {}, 1000)')],
    [
      'worker importing preview2-shim',
      data(`await import(${JSON.stringify(shim)}); setInterval(() => {}, 1000)`),
    ],
  ];
  const lazy = join(src, 'runtime', 'worker', 'lazyShimThread.mjs');
  if ((await readFile(lazy).catch(() => undefined)) !== undefined) {
    rows.push([
      'worker importing it after lazyShimThread.mjs',
      data(
        `const { withLazyShimThread } = await import(${JSON.stringify(pathToFileURL(lazy).href)}); await withLazyShimThread(() => import(${JSON.stringify(shim)})); setInterval(() => {}, 1000)`,
      ),
    ]);
  }
  for (const [label, url] of rows) {
    const rss = await workerRss(url);
    console.log(`${label.padEnd(44)} +${(rss - none).toFixed(1)} MiB`);
  }
  void dir;
}

const paths = (await buildFixtures({ only: ['counter', 'store'] })) as Record<string, string>;
const dir = await mkdtemp(join(tmpdir(), 'wasmactor-stateless-bench-'));
try {
  const only = values.only;
  const bareMs =
    only === undefined || only === 'runtime' || only === 'server' ? await runtimeFigures(paths, dir) : 0;
  if (only === undefined || only === 'server') await serverFigures(paths, dir, bareMs);
  if (only === undefined || only === 'worker') await workerFigures(dir);
} finally {
  await rm(dir, { recursive: true, force: true });
}
