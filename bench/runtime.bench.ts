/**
 * Runtime benchmark: cold and cached load, stateful and stateless call, for a WAT fixture (counter) and
 * a JS fixture (store), each printed beside its floor measured in the same run:
 *   type decoding  vs one sha256 pass over the same bytes (reading every byte once)
 *   cold load      vs bare jco transpile + WebAssembly.compile
 *   cached load    vs bare WebAssembly.compile
 *   stateful call  vs bare call on an instance made in this thread (no worker, no sandbox)
 *   stateless call vs bare instantiate + call in this thread
 * Run: npm run bench   (or: node bench/launch.mjs bench/runtime.bench.ts [iterations])
 */
// Isolation first: the user's cache, component directory and secrets are never touched.

import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { transpileBytes } from '@bytecodealliance/jco-transpile';
import { WASIShim } from '@bytecodealliance/preview2-shim/instantiation';
import { buildFixtures } from '../fixtures/build.ts';
import { decodeComponent, prepareComponent, sha256 } from '../src/runtime/index.ts';
import { patchGlue } from '../src/runtime/prepare/transpileCache.ts';
import { transpileAndCompile } from './floors/bare.ts';
import { benchDir } from './harness.ts';

const calls = Number(process.argv[2] ?? 200);

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}

async function time(fn: () => Promise<unknown>): Promise<number> {
  const t0 = performance.now();
  await fn();
  return performance.now() - t0;
}

async function repeat(n: number, fn: () => Promise<unknown>): Promise<number> {
  const samples: number[] = [];
  for (let i = 0; i < n; i++) samples.push(await time(fn));
  return median(samples);
}

type Instantiate = (
  getCoreModule: (name: string) => WebAssembly.Module,
  imports: Record<string, unknown>,
  instantiateCore: (m: WebAssembly.Module, i: WebAssembly.Imports) => WebAssembly.Instance,
) => Record<string, (...a: unknown[]) => unknown>;

/** The floor: jco's glue used directly in this thread. */
async function bare(bytes: Uint8Array, dir: string) {
  let files: Record<string, Uint8Array> = {};
  const transpileMs = await time(async () => {
    files = (await transpileBytes(bytes, { name: 'component', instantiation: 'async' })).files;
  });
  const modules: Record<string, WebAssembly.Module> = {};
  const compileMs = await time(async () => {
    for (const [name, content] of Object.entries(files)) {
      if (name.endsWith('.wasm'))
        modules[name] = await WebAssembly.compile(content as Uint8Array<ArrayBuffer>);
    }
  });
  const gluePath = join(dir, `bare-${Math.random().toString(36).slice(2)}.mjs`);
  await writeFile(gluePath, patchGlue(new TextDecoder().decode(files['component.js'])));
  const { instantiate } = (await import(pathToFileURL(gluePath).href)) as { instantiate: Instantiate };
  const make = () =>
    instantiate(
      (name) => modules[name] as WebAssembly.Module,
      new WASIShim({ sandbox: { env: {}, preopens: {}, enableNetwork: false } }).getImportObject(),
      (m, i) => new WebAssembly.Instance(m, i),
    );
  const cores = Object.entries(files)
    .filter(([name]) => name.endsWith('.wasm'))
    .map(([, content]) => content as Uint8Array<ArrayBuffer>);
  return { transpileMs, compileMs, make, cores };
}

function row(label: string, ms: number, floorMs: number, floorLabel: string): void {
  const ratio = ms / floorMs;
  console.log(
    `${label.padEnd(34)} ${ms.toFixed(3).padStart(10)} ms   floor ${floorLabel.padEnd(30)} ${floorMs.toFixed(3).padStart(10)} ms   x${ratio.toFixed(2)}`,
  );
}

const paths = await buildFixtures({ only: ['counter', 'store'] });
// Warm-up: the first transpile in a process starts jco's own wasm; neither side should pay for that.
const warm = await transpileBytes(await readFile(paths.counter as string), {
  name: 'w',
  instantiation: 'async',
});
await WebAssembly.compile(warm.files['w.core.wasm'] as Uint8Array<ArrayBuffer>);
const dir = benchDir('runtime');
try {
  for (const [name, tool, args] of [
    ['counter', 'increment', {}],
    ['store', 'incr', {}],
  ] as const) {
    const path = paths[name] as string;
    const bytes = await readFile(path);
    console.log(`\n${name} (${(bytes.length / 1024).toFixed(0)} KiB), ${calls} calls per figure`);
    const decodeMs = await repeat(20, async () => decodeComponent(bytes));
    const hashMs = await repeat(20, async () => sha256(bytes));
    row('type decoding', decodeMs, hashMs, 'sha256 of the bytes');
    const floor = await bare(bytes, dir);
    const cacheDir = join(dir, `cache-${name}`);
    let fresh = 0;
    const coldMs = await repeat(3, async () =>
      (await prepareComponent({ path }, { cacheDir: `${cacheDir}-cold-${fresh++}` })).dispose(),
    );
    // The floors are sampled like the figures (same count, median): one bare sample against a median
    // made the ratios lie.
    const transpileCompileMs = await repeat(3, () => transpileAndCompile(bytes));
    row('cold load (decode+transpile+compile)', coldMs, transpileCompileMs, 'transpile + compile');
    const cachedMs = await repeat(5, async () => (await prepareComponent({ path }, { cacheDir })).dispose());
    const compileMs = await repeat(5, () => Promise.all(floor.cores.map((c) => WebAssembly.compile(c))));
    row('cached load', cachedMs, compileMs, 'compile');

    const component = await prepareComponent({ path }, { cacheDir });
    const instance = await component.instantiate({});
    const bareInstance = floor.make();
    const fnName = tool === 'increment' ? 'increment' : 'incr';
    const bareFn = bareInstance[fnName] as () => unknown;
    await instance.call(tool, args);
    const statefulMs = await repeat(calls, () => instance.call(tool, args));
    const bareCallMs = await repeat(calls, async () => bareFn());
    row('stateful call (worker)', statefulMs, bareCallMs, 'bare call in-thread');
    await component.callOnce(tool, args, {});
    const statelessMs = await repeat(Math.min(calls, 50), () => component.callOnce(tool, args, {}));
    const bareFreshMs = await repeat(Math.min(calls, 50), async () =>
      (floor.make()[fnName] as () => unknown)(),
    );
    row('stateless call (fresh instance)', statelessMs, bareFreshMs, 'bare instantiate + call');
    await instance.dispose();
    await component.dispose();
  }
} finally {
  await rm(dir, { recursive: true, force: true });
}
