import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type PreparedComponent, prepareComponent, RuntimeError } from '../../src/runtime/index.ts';
import { fixturePath } from '../helpers/fixtures.ts';

let cacheDir: string;
const prepared: PreparedComponent[] = [];

async function prepare(name: string): Promise<PreparedComponent> {
  const component = await prepareComponent({ path: fixturePath(name) }, { cacheDir });
  prepared.push(component);
  return component;
}

async function rejection(promise: Promise<unknown>): Promise<RuntimeError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(RuntimeError);
  return error as RuntimeError;
}

beforeAll(async () => {
  cacheDir = await mkdtemp(join(tmpdir(), 'wasmactor-cache-'));
});

afterAll(async () => {
  await Promise.all(prepared.map((c) => c.dispose()));
  await rm(cacheDir, { recursive: true, force: true });
});

describe('prepareComponent', () => {
  it('keeps the state of a stateful instance across calls and starts a new instance at zero', async () => {
    const counter = await prepare('counter');
    const a = await counter.instantiate({});
    const b = await counter.instantiate({});
    expect(await a.call('increment', {})).toMatchObject({ ok: true, value: 1 });
    expect(await a.call('increment', {})).toMatchObject({ ok: true, value: 2 });
    expect(await a.call('add', { n: 5 })).toMatchObject({ ok: true, value: 7 });
    expect(await b.call('get', {})).toMatchObject({ ok: true, value: 0 });
    await a.dispose();
    await b.dispose();
    expect(a.alive).toBe(false);
  });

  it('gives every stateless call a fresh instance', async () => {
    const counter = await prepare('counter');
    for (let i = 0; i < 3; i++) {
      expect(await counter.callOnce('increment', {}, {})).toMatchObject({ ok: true, value: 1 });
    }
  });

  it('passes strings through byte for byte, a leading U+FEFF included (it is no byte-order mark)', async () => {
    const versioned = await prepare('versioned'); // its echo is WAT: it returns the very bytes it got
    for (const s of ['\ufeffabc', '\ufeff', 'a\ufeff', '\ufeff\ufeffz', '']) {
      expect(await versioned.callOnce('local_other_echo_echo', { s }, {})).toMatchObject({
        ok: true,
        value: s,
      });
    }
  });

  it("hashes the bytes itself, or takes the caller's digest of them instead of hashing again", async () => {
    const bytes = await readFile(fixturePath('counter'));
    const { sha256 } = await import('../../src/runtime/prepare/transpileCache.ts');
    const hashed = await prepareComponent({ bytes }, { cacheDir });
    prepared.push(hashed);
    expect(hashed.sha256).toBe(sha256(bytes));
    // a digest the caller vouches for is taken as it is (here one that is not the bytes', to see it)
    const vouched = 'ab'.repeat(32);
    const given = await prepareComponent({ bytes, sha256: vouched }, { cacheDir });
    prepared.push(given);
    expect(given.sha256).toBe(vouched);
    expect(await given.callOnce('get', {}, {})).toMatchObject({ ok: true, value: 0 });
  });

  it('uses the transpile cache on a second load of the same bytes', async () => {
    const { transpileCached, sha256 } = await import('../../src/runtime/prepare/transpileCache.ts');
    const bytes = await readFile(fixturePath('counter'));
    const first = await transpileCached(bytes, sha256(bytes), cacheDir);
    await first.stored;
    const second = await transpileCached(bytes, sha256(bytes), cacheDir);
    expect(second.cached).toBe(true);
    expect(second.gluePath).toBe(first.gluePath);
    expect(Object.keys(second.coreFiles)).toEqual(Object.keys(first.coreFiles));
  });

  it('rebuilds a cache entry that lost a file, and says where the cache cannot be written', async () => {
    const { transpileCached, sha256 } = await import('../../src/runtime/prepare/transpileCache.ts');
    const bytes = await readFile(fixturePath('counter'));
    const dir = await mkdtemp(join(tmpdir(), 'wasmactor-cache2-'));
    try {
      const first = await transpileCached(bytes, sha256(bytes), dir);
      await first.stored;
      await rm(first.gluePath);
      const again = await transpileCached(bytes, sha256(bytes), dir);
      expect(again.cached).toBe(false);
      await again.stored;
      expect(await readFile(again.gluePath, 'utf8')).toContain('instantiate');
      const blocker = join(dir, 'a-file');
      await writeFile(blocker, 'not a directory');
      // The entry is written while the caller compiles: the failure comes with `stored`.
      const error = await rejection(
        transpileCached(bytes, sha256(bytes), join(blocker, 'cache')).then((t) => t.stored),
      );
      expect(error.code).toBe('host-error');
      expect(error.message).toContain('cannot write the transpile cache');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('fails the load when the new cache entry cannot be written (it is written while modules compile)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'wasmactor-cache3-'));
    try {
      const blocker = join(dir, 'a-file');
      await writeFile(blocker, 'not a directory');
      const error = await rejection(
        prepareComponent({ path: fixturePath('counter') }, { cacheDir: join(blocker, 'cache') }),
      );
      expect(error.code).toBe('host-error');
      expect(error.message).toContain('cannot write the transpile cache');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('ends a load that fails after its transpile only once the new cache entry is whole on disk', async () => {
    const { versionDir } = await import('../../src/runtime/prepare/transpileCacheSweep.ts');
    const dir = await mkdtemp(join(tmpdir(), 'wasmactor-cache4-'));
    try {
      // A component that needs 40 pages at start, under a cap of 2 MiB: refused after the transpile.
      const { parse } = await import('@bytecodealliance/jco');
      const bytes = await parse(`(component
        (core module $m (memory 40) (func (export "ok") (result i32) (i32.const 7)))
        (core instance $i (instantiate $m))
        (func (export "ok") (result u32) (canon lift (core func $i "ok"))))`);
      const error = await rejection(prepareComponent({ bytes }, { cacheDir: dir, maxMemory: 2 * 2 ** 20 }));
      expect(error.message).toMatch(/needs at start/);
      const names = await readdir(versionDir(dir));
      expect(names, 'one entry, no temporary folder left writing').toHaveLength(1);
      expect(await readdir(join(versionDir(dir), names[0] as string))).toContain('complete');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('rejects a bad argument before entering the guest, and the instance keeps working', async () => {
    const counter = await prepare('counter');
    const instance = await counter.instantiate({});
    await instance.call('increment', {});
    const error = await rejection(instance.call('add', { n: -1 }));
    expect(error.code).toBe('invalid-argument');
    expect(error.message).toContain('n');
    expect(instance.alive).toBe(true);
    expect(await instance.call('get', {})).toMatchObject({ ok: true, value: 1 });
    await instance.dispose();
  });

  it('hands out resource handles that live in the stateful instance that made them', async () => {
    const sink = await prepare('kitchen-sink');
    const instance = await sink.instantiate({});
    const made = await instance.call('local_kitchen_types_accumulator_new', { start: 5 });
    expect(made).toMatchObject({ ok: true, value: expect.any(Number) });
    const self = (made as { value: number }).value;
    expect(await instance.call('local_kitchen_types_accumulator_add', { self, n: 3 })).toMatchObject({
      ok: true,
      value: 8,
    });
    expect(await instance.call('local_kitchen_types_accumulator_total', { self })).toMatchObject({
      ok: true,
      value: 8,
    });
    const other = await instance.call('local_kitchen_types_accumulator_new', { start: 1 });
    expect((other as { value: number }).value).not.toBe(self);
    const unknown = await rejection(instance.call('local_kitchen_types_accumulator_total', { self: 999 }));
    expect(unknown.code).toBe('invalid-argument');
    expect(unknown.message).toContain('999');
    await instance.dispose();
  });

  it('names the tools when a tool does not exist', async () => {
    const counter = await prepare('counter');
    const error = await rejection(counter.callOnce('nope', {}, {}));
    expect(error.code).toBe('unknown-tool');
    expect(error.message).toContain('increment');
  });
});

describe('faults', () => {
  it('turns a trap into a trap error, poisons the instance, and a new instance works', async () => {
    const trap = await prepare('trap');
    const instance = await trap.instantiate({});
    const error = await rejection(instance.call('unreachable', {}));
    expect(error.code).toBe('trap');
    expect(error.message).toMatch(/unreachable/);
    expect(instance.alive).toBe(false);
    expect((await rejection(instance.call('ok', {}))).code).toBe('instance-gone');
    expect(await trap.callOnce('ok', {}, {})).toMatchObject({ ok: true, value: 7 });
  });

  it('survives a stack overflow and a guest that grows memory until it fails', async () => {
    const trap = await prepare('trap');
    expect((await rejection(trap.callOnce('overflow', {}, {}))).code).toBe('trap');
    expect((await rejection(trap.callOnce('grow-memory', {}, {}))).code).toBe('trap');
    expect(await trap.callOnce('ok', {}, {})).toMatchObject({ ok: true, value: 7 });
  });

  it('kills an infinite loop at the time limit, and the next call works', async () => {
    const loop = await prepare('loop');
    const instance = await loop.instantiate({});
    const started = performance.now();
    const error = await rejection(instance.call('spin', {}, { timeoutMs: 300 }));
    expect(error.code).toBe('timeout');
    expect(error.message).toContain('300 ms');
    expect(performance.now() - started).toBeLessThan(10_000);
    expect(instance.alive).toBe(false);
    expect(await loop.callOnce('ok', {}, {})).toMatchObject({ ok: true });
  });

  it('kills a guest blocked in WASI at the time limit', async () => {
    const blocker = await prepare('blocker');
    const error = await rejection(blocker.callOnce('block-forever', {}, {}, { timeoutMs: 300 }));
    expect(error.code).toBe('timeout');
    expect(await blocker.callOnce('ok', {}, {})).toMatchObject({ ok: true });
  });

  it('cancels a call through its abort signal', async () => {
    const loop = await prepare('loop');
    const controller = new AbortController();
    const call = loop.callOnce('spin', {}, {}, { signal: controller.signal });
    setTimeout(() => controller.abort(), 100);
    expect((await rejection(call)).code).toBe('cancelled');
    expect(await loop.callOnce('ok', {}, {})).toMatchObject({ ok: true });
  });

  it('turns exit into an error that carries the code', async () => {
    const probe = await prepare('wasi-probe');
    const error = await rejection(probe.callOnce('exit', { code: 3 }, {}));
    expect(error.code).toBe('exit');
    expect(error.exitCode).toBe(3);
    expect(await probe.callOnce('get-env', { key: 'X' }, { env: { X: 'y' } })).toMatchObject({
      ok: true,
      value: 'y',
    });
  });

  it('stubs a non-WASI import: the component loads, a call that reaches it names it', async () => {
    const hostImport = await prepare('host-import');
    expect(await hostImport.callOnce('no-host', {}, {})).toMatchObject({ ok: true, value: 1 });
    const error = await rejection(hostImport.callOnce('uses-host', {}, {}));
    expect(error.code).toBe('missing-import');
    expect(error.message).toContain('local:host/logger');
    // A stateful instance that reached it is dropped on both sides of the worker boundary.
    const instance = await hostImport.instantiate({});
    expect((await rejection(instance.call('uses-host', {}))).code).toBe('missing-import');
    expect(instance.alive).toBe(false);
    expect((await rejection(instance.call('no-host', {}))).code).toBe('instance-gone');
  });

  describe('files that are not components', () => {
    let dir: string;
    beforeAll(async () => {
      dir = await mkdtemp(join(tmpdir(), 'wasmactor-bad-'));
    });
    afterAll(async () => rm(dir, { recursive: true, force: true }));

    it('names a missing file', async () => {
      const error = await rejection(prepareComponent({ path: join(dir, 'missing.wasm') }, { cacheDir }));
      expect(error.code).toBe('not-found');
      expect(error.message).toContain('missing.wasm');
    });

    it('says a text file is not wasm', async () => {
      const path = join(dir, 'notes.wasm');
      await writeFile(path, 'hello, this is text\n');
      const error = await rejection(prepareComponent({ path }, { cacheDir }));
      expect(error.code).toBe('not-wasm');
      expect(error.message).toContain(path);
    });

    it('says a core module is not a component', async () => {
      const path = join(dir, 'core.wasm');
      await writeFile(path, new Uint8Array([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0]));
      const error = await rejection(prepareComponent({ path }, { cacheDir }));
      expect(error.code).toBe('core-module');
      expect(error.message).toMatch(/component/);
    });

    it('says a truncated component is truncated', async () => {
      const bytes = await readFile(fixturePath('counter'));
      const path = join(dir, 'truncated.wasm');
      await writeFile(path, bytes.subarray(0, Math.floor(bytes.length / 2)));
      expect((await rejection(prepareComponent({ path }, { cacheDir }))).code).toBe('truncated');
    });
  });
});
