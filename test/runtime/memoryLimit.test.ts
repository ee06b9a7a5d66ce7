/**
 * `capMemory` on real modules: hand-written core modules (text format through jco's `parse`) for the
 * exact page arithmetic and each limits encoding, the `trap` fixture's `grow-memory` and a
 * componentize-js fixture (wasi-probe) running as whole components under a cap.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { transpileBytes } from '@bytecodealliance/jco-transpile';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildFixtures } from '../../fixtures/build.ts';
import { capMemory, memoryLimits } from '../../src/runtime/prepare/memoryLimit.ts';
import { prepareComponent } from '../../src/runtime/prepare/prepareComponent.ts';
import { RuntimeError } from '../../src/runtime/RuntimeError.ts';
import { createSandbox } from '../../src/runtime/sandbox/createSandbox.ts';

const MiB = 2 ** 20;
const jco = (await import('@bytecodealliance/jco')) as unknown as { parse(wat: string): Promise<Uint8Array> };

/** Instantiates a core module and returns its exports. */
async function run(bytes: Uint8Array, imports: WebAssembly.Imports = {}): Promise<Record<string, unknown>> {
  const module = await WebAssembly.compile(bytes as Uint8Array<ArrayBuffer>);
  const instance = await WebAssembly.instantiate(module, imports);
  return instance.exports as Record<string, unknown>;
}

const growerWat = (limits: string) => `(module
  (memory (export "memory") ${limits})
  (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0))))`;

describe('capMemory on hand-written modules', () => {
  it('caps a memory without a maximum (flags 0x00): memory.grow fails past the cap, in the guest', async () => {
    const bytes = await jco.parse(growerWat('1'));
    expect(memoryLimits(bytes)).toEqual([{ origin: 'defined', min: 1n, is64: false, shared: false }]);
    const uncapped = await run(bytes);
    expect((uncapped.grow as (n: number) => number)(32)).toBe(1);

    const capped = capMemory(bytes, 2 * MiB);
    expect(memoryLimits(capped)).toEqual([
      { origin: 'defined', min: 1n, max: 32n, is64: false, shared: false },
    ]);
    const exports = await run(capped);
    const grow = exports.grow as (n: number) => number;
    expect(grow(31)).toBe(1);
    expect(grow(1)).toBe(-1);
    expect((exports.memory as WebAssembly.Memory).buffer.byteLength).toBe(2 * MiB);
  });

  it('lowers a larger maximum (flags 0x01) and keeps a smaller one', async () => {
    const large = capMemory(await jco.parse(growerWat('1 1000')), 4 * MiB);
    expect(memoryLimits(large)[0]?.max).toBe(64n);
    expect(((await run(large)).grow as (n: number) => number)(64)).toBe(-1);
    const small = await jco.parse(growerWat('1 8'));
    expect(memoryLimits(capMemory(small, 4 * MiB))[0]?.max).toBe(8n);
  });

  it('caps an imported memory, so a larger memory is refused at link time', async () => {
    const bytes = await jco.parse(`(module
      (import "env" "memory" (memory 1))
      (func (export "size") (result i32) (memory.size)))`);
    const capped = capMemory(bytes, 2 * MiB);
    expect(memoryLimits(capped)).toEqual([
      { origin: 'import', min: 1n, max: 32n, is64: false, shared: false },
    ]);
    const fits = new WebAssembly.Memory({ initial: 1, maximum: 32 });
    expect(((await run(capped, { env: { memory: fits } })).size as () => number)()).toBe(1);
    const unbounded = new WebAssembly.Memory({ initial: 1 });
    await expect(run(capped, { env: { memory: unbounded } })).rejects.toThrow(/memory/i);
  });

  it('keeps the rest of the module: imports of every kind before the memory, sections after it', async () => {
    const bytes = await jco.parse(`(module
      (import "env" "f" (func (param i32)))
      (import "env" "t" (table 1 funcref))
      (import "env" "g" (global i32))
      (import "env" "memory" (memory 2 100))
      (global (mut i32) (i32.const 5))
      (func (export "get") (result i32) (i32.add (global.get 0) (memory.size))))`);
    const capped = capMemory(bytes, 8 * MiB);
    expect(memoryLimits(capped)[0]).toMatchObject({ origin: 'import', min: 2n, max: 100n });
    const capped2 = capMemory(bytes, 4 * MiB);
    expect(memoryLimits(capped2)[0]).toMatchObject({ min: 2n, max: 64n });
    const exports = await run(capped2, {
      env: {
        f: () => {},
        t: new WebAssembly.Table({ initial: 1, element: 'anyfunc' }),
        g: new WebAssembly.Global({ value: 'i32', mutable: false }, 1),
        memory: new WebAssembly.Memory({ initial: 2, maximum: 64 }),
      },
    });
    expect((exports.get as () => number)()).toBe(3);
  });

  it('refuses a cap below what the module needs at start, and leaves memory-less modules alone', async () => {
    const bytes = await jco.parse(growerWat('40'));
    expect(() => capMemory(bytes, 2 * MiB)).toThrow(RuntimeError);
    expect(() => capMemory(bytes, 2 * MiB)).toThrow(/needs at start/);
    const none = await jco.parse('(module (func (export "f")))');
    expect(capMemory(none, 2 * MiB)).toBe(none);
  });
});

describe('memoryLimits on malformed modules (the decode Reader, bounds-checked)', () => {
  const header = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];
  const error = (bytes: number[]) => {
    try {
      memoryLimits(Uint8Array.from([...header, ...bytes]));
    } catch (e) {
      expect(e).toBeInstanceOf(RuntimeError);
      return e as RuntimeError;
    }
    throw new Error('expected an error');
  };

  it('names the offset of a bad limits flag and of an over-long number', () => {
    // memory section: 1 memory with flags 0x10
    expect(error([0x05, 0x03, 0x01, 0x10, 0x01]).message).toMatch(/limits flags 0x10 at offset 11/);
    // memory section: 1 memory, min encoded in 11 bytes
    const long = error([0x05, 0x0d, 0x01, 0x00, ...Array(10).fill(0x80), 0x00]);
    expect(long.code).toBe('invalid-component');
    expect(long.message).toMatch(/memory minimum (does not fit in 64 bits|is an over-long)/);
  });

  it('refuses a section that runs past the end, or a count larger than its section', () => {
    expect(error([0x05, 0x09, 0x01]).code).toBe('truncated');
    expect(error([0x05, 0x02, 0x7f, 0x00, 0x00, 0x01]).message).toMatch(/127 memories/);
  });

  it('reads a 64-bit memory of 2^40 pages', () => {
    const pages = [0x80, 0x80, 0x80, 0x80, 0x80, 0x20]; // 2^40
    expect(memoryLimits(Uint8Array.from([...header, 0x05, 0x08, 0x01, 0x04, ...pages]))).toEqual([
      { origin: 'defined', min: 2n ** 40n, is64: true, shared: false },
    ]);
  });
});

/** A fixture transpiled; its core modules compiled after `transform`. */
async function component(fixture: string, transform: (core: Uint8Array) => Uint8Array) {
  const { [fixture]: path } = await buildFixtures({ only: [fixture], log: () => {} });
  if (path === undefined) throw new Error(`no fixture ${fixture}`);
  const out = await transpileBytes(await readFile(path), {
    name: 'component',
    instantiation: 'async',
    noComponentErrorWrapping: false,
  } as Parameters<typeof transpileBytes>[1]);
  const files = out.files as Record<string, Uint8Array>;
  const modules = new Map<string, WebAssembly.Module>();
  for (const [name, bytes] of Object.entries(files)) {
    if (name.endsWith('.wasm'))
      modules.set(name, await WebAssembly.compile(transform(bytes) as Uint8Array<ArrayBuffer>));
  }
  return { out, modules, imports: out.imports as string[] };
}

describe('capMemory on fixture components', () => {
  let trapCore: Uint8Array;
  beforeAll(async () => {
    const { out } = await component('trap', (b) => b);
    trapCore = (out.files as Record<string, Uint8Array>)['component.core.wasm'] as Uint8Array;
  }, 120_000);

  it("caps the trap fixture's grow-memory: the guest traps at the cap, the host carries on", async () => {
    const capped = capMemory(trapCore, 32 * MiB);
    expect(memoryLimits(capped)[0]?.max).toBe(512n);
    // the core module exports its functions directly; grow-memory grows by 16 MiB until memory.grow fails
    const exports = await run(capped);
    // (That the cap, not V8's 4 GiB limit, stops the growth is shown on the grower module above.)
    expect(() => (exports['grow-memory'] as () => void)()).toThrow(WebAssembly.RuntimeError);
    expect((exports.ok as () => number)()).toBe(7);
  });

  it('runs a componentize-js component (wasi-probe) with every core module capped at 512Mi', async () => {
    const { modules, imports, out } = await component('wasi-probe', (b) => capMemory(b, 512 * MiB));
    const files = out.files as Record<string, Uint8Array>;
    const main = files['component.core.wasm'] as Uint8Array;
    expect(memoryLimits(capMemory(main, 512 * MiB))[0]?.max).toBe(8192n);
    const dir = mkdtempSync(join(tmpdir(), 'wasmactor-memcap-'));
    try {
      for (const [name, bytes] of Object.entries(files))
        if (name.endsWith('.js')) writeFileSync(join(dir, name), bytes);
      const { instantiate } = (await import(pathToFileURL(join(dir, 'component.js')).href)) as {
        instantiate(
          get: (n: string) => WebAssembly.Module,
          imports: Record<string, unknown>,
        ): Promise<unknown>;
      };
      const sandbox = createSandbox({ env: { CAPPED: 'yes' } }, imports);
      const probe = (await instantiate((n) => modules.get(n) as WebAssembly.Module, sandbox.imports)) as {
        getEnv(key: string): string | undefined;
      };
      expect(probe.getEnv('CAPPED')).toBe('yes');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('prepareComponent with a memoryLimit', () => {
  const big = { out: 'x'.repeat(12 * MiB), err: '' };

  it('caps every instance: a guest that grows past the cap fails, the next instance works', async () => {
    const { 'wasi-probe': path } = await buildFixtures({ only: ['wasi-probe'], log: () => {} });
    const capped = await prepareComponent({ path: path as string }, { memoryLimit: 16 * MiB });
    const free = await prepareComponent({ path: path as string });
    try {
      await expect(capped.callOnce('print', big, { outputLimit: 16 })).rejects.toBeInstanceOf(RuntimeError);
      expect(await capped.callOnce('get-env', { key: 'X' }, {})).toMatchObject({ ok: true, value: null });
      expect(await free.callOnce('print', big, { outputLimit: 16 })).toMatchObject({ ok: true, value: null });
    } finally {
      await capped.dispose();
      await free.dispose();
    }
  }, 60_000);

  it('refuses a cap below what the component needs at start, naming the policy field', async () => {
    const { 'wasi-probe': path } = await buildFixtures({ only: ['wasi-probe'], log: () => {} });
    await expect(prepareComponent({ path: path as string }, { memoryLimit: 4 * MiB })).rejects.toThrow(
      /permissions\.resources\.limits\.memory/,
    );
  });
});
