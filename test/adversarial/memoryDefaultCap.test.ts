/**
 * Every instance has a memory cap, even without a policy: 1 GiB by default, the server's `maxMemory`
 * when given, the policy's `resources.limits.memory` (passed as `memoryLimit`) above both. A guest that
 * grows past it sees `memory.grow` fail; one that then traps gets the usual `trap` error and the next
 * call works. The component is built here from WAT: it grows its memory until `memory.grow` fails and
 * answers how many 64 KiB pages it got (pages never touched cost no real memory).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from '@bytecodealliance/jco';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  defaultMaxMemory,
  type PreparedComponent,
  prepareComponent,
  RuntimeError,
} from '../../src/runtime/index.ts';
import type { WorkerComponent } from '../../src/runtime/prepare/WorkerComponent.ts';

const MiB = 2 ** 20;
const PAGE = 64 * 2 ** 10;

const growerWat = `(component
  (core module $m
    (memory 1)
    ;; grow 16 MiB at a time, then one page at a time, until memory.grow fails; answer the size in pages
    (func $grow-all (export "grow-all") (result i32)
      (block $big (loop $l
        (br_if $big (i32.eq (memory.grow (i32.const 256)) (i32.const -1)))
        (br $l)))
      (block $small (loop $l
        (br_if $small (i32.eq (memory.grow (i32.const 1)) (i32.const -1)))
        (br $l)))
      (memory.size))
    (func (export "grow-then-trap") (drop (call $grow-all)) unreachable)
    (func (export "ok") (result i32) (i32.const 7)))
  (core instance $i (instantiate $m))
  (func (export "grow-all") (result u32) (canon lift (core func $i "grow-all")))
  (func (export "grow-then-trap") (canon lift (core func $i "grow-then-trap")))
  (func (export "ok") (result u32) (canon lift (core func $i "ok"))))`;

let bytes: Uint8Array;
let cacheDir: string;
const prepared: PreparedComponent[] = [];

async function prepare(
  options: { maxMemory?: number; memoryLimit?: number; workerIdleMs?: number } = {},
): Promise<PreparedComponent> {
  const component = await prepareComponent({ bytes, name: 'grower.wasm' }, { cacheDir, ...options });
  prepared.push(component);
  return component;
}

/** Pages the guest reached before `memory.grow` failed. */
async function pagesReached(component: PreparedComponent): Promise<number> {
  const outcome = await component.callOnce('grow-all', {}, {}, { timeoutMs: 60_000 });
  if (!outcome.ok) throw new Error(`grow-all failed: ${JSON.stringify(outcome)}`);
  return outcome.value as number;
}

beforeAll(async () => {
  bytes = await parse(growerWat);
  cacheDir = await mkdtemp(join(tmpdir(), 'wasmactor-memcap-'));
});

afterAll(async () => {
  await Promise.all(prepared.map((c) => c.dispose()));
  await rm(cacheDir, { recursive: true, force: true });
});

describe('the default memory cap', () => {
  it('is 1 GiB: a guest without a policy grows to exactly 1 GiB and no further', async () => {
    expect(defaultMaxMemory).toBe(1024 * MiB);
    expect(await pagesReached(await prepare())).toBe((1024 * MiB) / PAGE);
  }, 120_000);

  it("is the server's maxMemory when given, and the policy's limit wins over both", async () => {
    expect(await pagesReached(await prepare({ maxMemory: 64 * MiB }))).toBe((64 * MiB) / PAGE);
    expect(await pagesReached(await prepare({ maxMemory: 64 * MiB, memoryLimit: 32 * MiB }))).toBe(
      (32 * MiB) / PAGE,
    );
    expect(await pagesReached(await prepare({ memoryLimit: 2048 * MiB }))).toBe((2048 * MiB) / PAGE);
  }, 120_000);

  it('holds for the modules compiled again after an idle component released them', async () => {
    const component = (await prepare({ memoryLimit: 32 * MiB, workerIdleMs: 100 })) as WorkerComponent;
    expect(await pagesReached(component)).toBe((32 * MiB) / PAGE);
    const until = performance.now() + 10_000;
    while (component.holdsModules && performance.now() < until) await new Promise((r) => setTimeout(r, 20));
    expect(component.holdsModules, 'released once its worker was ended').toBe(false);
    expect(await pagesReached(component)).toBe((32 * MiB) / PAGE);
  }, 60_000);

  it('a guest that traps at the cap gets the trap error, and the next call works', async () => {
    const component = await prepare({ maxMemory: 64 * MiB });
    const error = await component.callOnce('grow-then-trap', {}, {}).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(RuntimeError);
    expect((error as RuntimeError).code).toBe('trap');
    expect((error as RuntimeError).message).toMatch(/unreachable/);
    expect(await component.callOnce('ok', {}, {})).toMatchObject({ ok: true, value: 7 });
  }, 60_000);

  it('refuses a cap below what the component needs at start, naming both ways to raise it', async () => {
    const big = await parse(growerWat.replace('(memory 1)', '(memory 40)'));
    const error = await prepareComponent({ bytes: big }, { cacheDir, maxMemory: 2 * MiB }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(RuntimeError);
    expect((error as RuntimeError).message).toMatch(
      /needs at start.*permissions\.resources\.limits\.memory.*--max-memory/,
    );
  });
});
