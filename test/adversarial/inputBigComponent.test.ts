/**
 * Big inputs do not stall the server or overflow its stack:
 * - an uncached load of a component with thousands of exports (built here from WAT) leaves the event
 *   loop free: jco's transpile, tens of seconds for 10,000 exports, runs in a worker thread; decoding
 *   and tool derivation are separate stretches with a yield between them;
 * - aborting such a load ends it at once (the transpile worker is terminated);
 * - a type nested 5,000 deep gets a clear `invalid-component` error naming the limit, from the decoder
 *   and from `toolDefinitions` (for types that did not come from the decoder), never a RangeError.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from '@bytecodealliance/jco';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  decodeComponent,
  prepareComponent,
  RuntimeError,
  toolDefinitions,
  type WitType,
} from '../../src/runtime/index.ts';

const EXPORTS = 2000;

/** A component exporting `f0`..`f{n-1}`, each `func(x: u32) -> u32` returning x + i. */
function manyExports(n: number): string {
  const core: string[] = [];
  const lifts: string[] = [];
  for (let i = 0; i < n; i++) {
    core.push(`(func (export "f${i}") (param i32) (result i32) (i32.add (local.get 0) (i32.const ${i})))`);
    lifts.push(`(func (export "f${i}") (param "x" u32) (result u32) (canon lift (core func $i "f${i}")))`);
  }
  return `(component (core module $m ${core.join('\n')}) (core instance $i (instantiate $m)) ${lifts.join('\n')})`;
}

/** Measures the longest time the event loop did not get to run a 10 ms timer, until stopped. */
function stallMeter(): () => number {
  let last = performance.now();
  let longest = 0;
  const timer = setInterval(() => {
    const now = performance.now();
    longest = Math.max(longest, now - last - 10);
    last = now;
  }, 10);
  return () => {
    clearInterval(timer);
    return Math.max(longest, performance.now() - last - 10);
  };
}

let bytes: Uint8Array;
/** Twice as many exports: its transpile takes seconds, long enough to abort in the middle. */
let biggerBytes: Uint8Array;
const dirs: string[] = [];
const cacheDir = async () => {
  const dir = await mkdtemp(join(tmpdir(), 'wasmactor-big-'));
  dirs.push(dir);
  return dir;
};

beforeAll(async () => {
  bytes = await parse(manyExports(EXPORTS));
  biggerBytes = await parse(manyExports(2 * EXPORTS));
}, 60_000);

afterAll(async () => {
  await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
});

describe(`an uncached load of a component with ${EXPORTS} exports`, () => {
  it('keeps the event loop responsive: the longest stall is a small part of the load', async () => {
    const stop = stallMeter();
    const started = performance.now();
    const prepared = await prepareComponent({ bytes, name: 'many.wasm' }, { cacheDir: await cacheDir() });
    const duration = performance.now() - started;
    const longest = stop();
    try {
      // Transpiling on the main thread stalls it for nearly the whole load.
      expect(longest).toBeLessThan(duration / 4);
      expect(prepared.tools).toHaveLength(EXPORTS);
      expect(await prepared.callOnce('f1999', { x: 1 }, {})).toMatchObject({ ok: true, value: 2000 });
    } finally {
      await prepared.dispose();
    }
  }, 180_000);

  it('ends at once when aborted during the transpile', async () => {
    const controller = new AbortController();
    const loading = prepareComponent(
      { bytes: biggerBytes },
      { cacheDir: await cacheDir(), signal: controller.signal },
    );
    await new Promise((resolve) => setTimeout(resolve, 500));
    const aborted = performance.now();
    controller.abort();
    const error = await loading.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(performance.now() - aborted).toBeLessThan(1000);
    expect(error).toBeInstanceOf(RuntimeError);
    expect((error as RuntimeError).code).toBe('cancelled');
  }, 60_000);
});

describe('types nested 5,000 deep', () => {
  /** `option<option<...<u32>>>`, `depth` levels, built without recursion. */
  function deepType(depth: number): WitType {
    let type: WitType = { kind: 'u32' };
    for (let i = 1; i < depth; i++) type = { kind: 'option', type };
    return type;
  }

  it('toolDefinitions refuses them with invalid-component naming the limit, not a RangeError', () => {
    const fn = { name: 'deep', params: [{ name: 'x', type: deepType(5000) }] };
    let error: unknown;
    try {
      toolDefinitions({ functions: [fn], imports: [] });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(RuntimeError);
    expect((error as RuntimeError).code).toBe('invalid-component');
    expect((error as RuntimeError).message).toBe(
      "function 'deep' has a type that nests more than 100 levels deep (wasmactor's limit on nesting)",
    );
    expect(
      toolDefinitions({
        functions: [{ name: 'ok', params: [{ name: 'x', type: deepType(100) }] }],
        imports: [],
      }),
    ).toHaveLength(1);
  });

  it('a component with one is refused by prepareComponent with the same kind of error', async () => {
    // (type (option u32)) then 4,999 more options, each of the one before; an import and export of `f`
    const leb = (n: number): number[] => (n < 0x80 ? [n] : [(n & 0x7f) | 0x80, ...leb(Math.floor(n / 128))]);
    const depth = 5000;
    const types = [0x6b, 0x79];
    for (let i = 1; i < depth; i++) types.push(0x6b, ...leb(i - 1));
    const func = [0x40, 0x01, 0x01, 0x78, ...leb(depth - 1), 0x01, 0x00];
    const typeSection = [...leb(depth + 1), ...types, ...func];
    const component = new Uint8Array([
      ...[0x00, 0x61, 0x73, 0x6d, 0x0d, 0x00, 0x01, 0x00],
      0x07,
      ...leb(typeSection.length),
      ...typeSection,
      ...[0x0a, 0x06, 0x01, 0x00, 0x01, 0x66, 0x01, ...leb(depth)],
    ]);
    expect(() => decodeComponent(component)).toThrow(/a value type nests more than 100 levels deep/);
    const error = await prepareComponent({ bytes: component, name: 'deep.wasm' }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(RuntimeError);
    expect((error as RuntimeError).code).toBe('invalid-component');
    expect((error as RuntimeError).message).toMatch(
      /^deep\.wasm: invalid component: a value type nests more than 100/,
    );
  });
});
