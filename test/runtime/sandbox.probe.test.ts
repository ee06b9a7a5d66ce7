/**
 * The sandbox seen from inside a real component: the `wasi-probe` fixture (componentize-js), transpiled
 * by jco-transpile and instantiated with `sandbox.imports`, as the instance host does it.
 */
import { spawnSync } from 'node:child_process';
import {
  mkdirSync,
  mkdtempSync,
  readFileSync,
  realpathSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { transpileBytes } from '@bytecodealliance/jco-transpile';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildFixtures } from '../../fixtures/build.ts';
import {
  createSandbox,
  GuestExit,
  MissingImportError,
  type Sandbox,
} from '../../src/runtime/sandbox/createSandbox.ts';
import type { SandboxSpec } from '../../src/runtime/types.ts';

/** The probe's exports (see fixtures/wasi-probe/world.wit); a WIT `err` is thrown with `.payload`. */
interface Probe {
  getEnv(key: string): string | undefined;
  listEnv(): [string, string][];
  readFile(path: string): string;
  writeFile(path: string, contents: string): void;
  rename(from: string, to: string): void;
  remove(path: string): void;
  listDir(path: string): string[];
  print(out: string, err: string): void;
  exit(code: number): void;
}

type Instantiate = (
  getCoreModule: (name: string) => Promise<WebAssembly.Module>,
  imports: Record<string, unknown>,
) => Promise<unknown>;

// The project's lib settings type the WebAssembly namespace but not its value.
const wasm = (
  globalThis as unknown as { WebAssembly: { compile(bytes: Uint8Array): Promise<WebAssembly.Module> } }
).WebAssembly;

const root = realpathSync(mkdtempSync(join(tmpdir(), 'wasmactor-probe-')));
const dirA = join(root, 'a');
const dirB = join(root, 'b');
const roDir = join(root, 'ro');
const outside = join(root, 'outside');

/** A fixture transpiled as the runtime does it: glue on disk, core modules compiled once. */
interface Glue {
  dir: string;
  imports: string[];
  instantiate(imports: Record<string, unknown>): Promise<unknown>;
}

async function loadGlue(fixture: string): Promise<Glue> {
  const { [fixture]: wasmPath } = await buildFixtures({ only: [fixture], log: () => {} });
  if (!wasmPath) throw new Error(`fixtures/build.ts built no ${fixture}`);
  const out = await transpileBytes(await readFile(wasmPath), {
    name: 'component',
    instantiation: 'async',
    noComponentErrorWrapping: false,
  } as Parameters<typeof transpileBytes>[1]);
  const dir = join(root, `glue-${fixture}`);
  const modules = new Map<string, WebAssembly.Module>();
  for (const [name, bytes] of Object.entries(out.files as Record<string, Uint8Array>)) {
    await mkdir(dirname(join(dir, name)), { recursive: true });
    await writeFile(join(dir, name), bytes);
    if (name.endsWith('.wasm')) modules.set(name, await wasm.compile(bytes));
  }
  const { instantiate } = (await import(pathToFileURL(join(dir, 'component.js')).href)) as {
    instantiate: Instantiate;
  };
  const getCoreModule = async (name: string) => {
    const module = modules.get(name);
    if (!module) throw new Error(`no core module ${name}`);
    return module;
  };
  return { dir, imports: out.imports, instantiate: (imports) => instantiate(getCoreModule, imports) };
}

let probeGlue: Glue;

beforeAll(async () => {
  probeGlue = await loadGlue('wasi-probe');
  for (const dir of [dirA, dirB, roDir, outside, join(dirA, 'sub')]) mkdirSync(dir, { recursive: true });
  writeFileSync(join(dirA, 'who.txt'), 'I am A');
  writeFileSync(join(dirB, 'who.txt'), 'I am B');
  writeFileSync(join(roDir, 'data.txt'), 'read-only data');
  writeFileSync(join(outside, 'secret.txt'), 'top secret');
  symlinkSync(join(outside, 'secret.txt'), join(dirA, 'abs-link'));
  symlinkSync('../outside/secret.txt', join(dirA, 'rel-link'));
  symlinkSync('../../outside', join(dirA, 'sub', 'dir-link'));
}, 120_000);

afterAll(() => rmSync(root, { recursive: true, force: true }));

async function start(spec: SandboxSpec): Promise<{ probe: Probe; sandbox: Sandbox }> {
  const sandbox = createSandbox(spec, probeGlue.imports);
  const probe = (await probeGlue.instantiate(sandbox.imports)) as Probe;
  return { probe, sandbox };
}

/** The `err` payload of a probe call that must fail. */
function errOf(call: () => unknown): unknown {
  try {
    call();
  } catch (error) {
    return (error as { payload?: unknown }).payload ?? error;
  }
  throw new Error('expected the call to fail');
}

const WRITABLE_A = { hostPath: dirA, guestPath: '/data', readOnly: false };
const READ_ONLY = { hostPath: roDir, guestPath: '/ro', readOnly: true };

describe('the wasi-probe component in a sandbox', () => {
  it('keeps two live instances apart: different env, different files', async () => {
    const a = await start({ env: { WHO: 'a' }, preopens: [WRITABLE_A] });
    const b = await start({
      env: { WHO: 'b' },
      preopens: [{ hostPath: dirB, guestPath: '/data', readOnly: false }],
    });
    expect(a.probe.getEnv('WHO')).toBe('a');
    expect(b.probe.getEnv('WHO')).toBe('b');
    expect(a.probe.readFile('/data/who.txt')).toBe('I am A');
    expect(b.probe.readFile('/data/who.txt')).toBe('I am B');
    a.probe.writeFile('/data/only-a.txt', 'written by a');
    expect(readFileSync(join(dirA, 'only-a.txt'), 'utf8')).toBe('written by a');
    expect(errOf(() => b.probe.readFile('/data/only-a.txt'))).toBe('no-entry');
    a.probe.print('a out', 'a err');
    b.probe.print('b out', '');
    expect(a.sandbox.takeOutput()).toEqual({ stdout: 'a out', stderr: 'a err', truncated: false });
    expect(b.sandbox.takeOutput()).toEqual({ stdout: 'b out', stderr: '', truncated: false });
    a.sandbox.dispose();
    b.sandbox.dispose();
  });

  it('does not show the host PATH or HOME', async () => {
    expect(process.env.PATH).toBeTruthy();
    const { probe } = await start({ env: { ONLY: 'this' } });
    expect(probe.listEnv()).toEqual([['ONLY', 'this']]);
    expect(probe.getEnv('PATH')).toBeUndefined();
    expect(probe.getEnv('HOME')).toBeUndefined();
  });

  it('refuses create, write, rename and unlink in a read-only preopen', async () => {
    const { probe } = await start({ preopens: [READ_ONLY, WRITABLE_A] });
    expect(probe.readFile('/ro/data.txt')).toBe('read-only data');
    expect(probe.listDir('/ro')).toEqual(['data.txt']);
    expect(errOf(() => probe.writeFile('/ro/new.txt', 'x'))).toBe('read-only');
    expect(errOf(() => probe.writeFile('/ro/data.txt', 'overwritten'))).toBe('read-only');
    expect(errOf(() => probe.rename('/ro/data.txt', '/ro/moved.txt'))).toBe('read-only');
    expect(errOf(() => probe.rename('/ro/data.txt', '/data/stolen.txt'))).toBe('read-only');
    expect(errOf(() => probe.remove('/ro/data.txt'))).toBe('read-only');
    expect(readFileSync(join(roDir, 'data.txt'), 'utf8')).toBe('read-only data');
    // The same operations work in the writable preopen.
    probe.writeFile('/data/scratch.txt', 'x');
    probe.rename('/data/scratch.txt', '/data/scratch2.txt');
    probe.remove('/data/scratch2.txt');
  });

  it('refuses .., absolute paths outside and symlinks pointing outside', async () => {
    const { probe } = await start({ preopens: [WRITABLE_A] });
    expect(errOf(() => probe.readFile('/data/../outside/secret.txt'))).toBe('not-permitted');
    expect(errOf(() => probe.readFile('/data/sub/../../outside/secret.txt'))).toBe('not-permitted');
    expect(errOf(() => probe.writeFile('/data/../outside/planted.txt', 'x'))).toBe('not-permitted');
    expect(errOf(() => probe.readFile('/data/abs-link'))).toBe('not-permitted');
    expect(errOf(() => probe.readFile('/data/rel-link'))).toBe('not-permitted');
    expect(errOf(() => probe.readFile('/data/sub/dir-link/secret.txt'))).toBe('not-permitted');
    expect(errOf(() => probe.listDir('/data/sub/dir-link'))).toBe('not-permitted');
    // An absolute guest path names a place inside a preopen, never the host's file of that name.
    const rooted = await start({ preopens: [{ hostPath: dirA, guestPath: '/', readOnly: false }] });
    expect(rooted.probe.readFile('/who.txt')).toBe('I am A');
    expect(errOf(() => rooted.probe.readFile(join(outside, 'secret.txt')))).toBe('no-entry');
    expect(errOf(() => rooted.probe.readFile('/etc/passwd'))).toBe('no-entry');
    expect(readFileSync(join(outside, 'secret.txt'), 'utf8')).toBe('top secret');
  });

  it('turns exit into GuestExit with the code', async () => {
    for (const code of [0, 3, 300]) {
      const { probe } = await start({});
      let error: unknown;
      try {
        probe.exit(code);
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(GuestExit);
      expect((error as GuestExit).exitCode).toBe(code > 255 ? 1 : code);
    }
  });

  it('never lets guest output reach the process stdout', () => {
    const child = fileURLToPath(new URL('./sandbox.child.ts', import.meta.url));
    const result = spawnSync(process.execPath, ['--import', 'tsx', child, probeGlue.dir], {
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(result.status, result.stderr).toBe(0);
    expect(result.stdout).toBe('');
    const report = JSON.parse(result.stderr.trim().split('\n').at(-1) ?? '{}');
    expect(report.probe).toEqual({
      stdout: 'probe stdout line',
      stderr: 'probe stderr line',
      truncated: false,
    });
  });
});

describe('a component that imports a host interface wasmactor does not provide', () => {
  it('instantiates, serves the functions that do not use it, and names the import when one does', async () => {
    const glue = await loadGlue('host-import');
    expect(glue.imports).toContain('local:host/logger');
    const sandbox = createSandbox({}, glue.imports);
    const component = (await glue.instantiate(sandbox.imports)) as { noHost(): number; usesHost(): void };
    expect(component.noHost()).toBe(1);
    let error: unknown;
    try {
      component.usesHost();
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(MissingImportError);
    expect(error).toMatchObject({ importName: 'local:host/logger', func: 'log' });
  }, 60_000);
});
