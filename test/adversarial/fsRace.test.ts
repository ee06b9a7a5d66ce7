/**
 * Symlink races against the sandbox's filesystem (issue 16, item 1). A directory `esc` inside the grant
 * holds `secret.txt` = "inside"; outside every grant, `outside/secret.txt` = "SECRET". While one thread
 * flips `esc` between that directory and a symlink `esc -> ../outside`, another opens `esc/secret.txt`
 * for reading and `esc/planted-N.txt` for writing through a sandbox, hundreds of times. Reading "SECRET"
 * or a planted file appearing outside is an escape; refusals and misses are fine. Each side runs in its
 * own worker thread, as two calls of one component run in two instance workers.
 *
 * - the guest's race: the flipper is a second sandbox over the same grant (a guest with a write grant:
 *   it makes the link one level down, where `../outside` stays inside, and renames it up), driven
 *   through the Descriptor API; and the same with a real component (the `fs-race` fixture): concurrent
 *   stateless calls of one component, one flipping, the others reading and writing through `esc`;
 * - the host's race: the flipper is plain `fs` calls inside the granted directory;
 * - the host's race against a real guest: two live `wasi-probe` instances (componentize-js, in their
 *   own instance workers, called concurrently) read and write through `esc` with their own code.
 *
 * Bounded: each race stops after ROUNDS tries that found `esc` (a directory or a link; a try while it
 * is missing mid-flip does not count) or after BUDGET_MS, whichever comes first.
 */
import { mkdirSync, mkdtempSync, readdirSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { afterAll, describe, expect, it } from 'vitest';
import { buildFixtures } from '../../fixtures/build.ts';
import { type PreparedComponent, prepareComponent } from '../../src/runtime/index.ts';
import { fixturePath } from '../helpers/fixtures.ts';
import type { RaceJob, RaceReport } from './fsRace.worker.ts';

const ROUNDS = 600;
/** Calls of each real guest instance (each a read and a write). */
const GUEST_ROUNDS = 150;
/** `through` calls of the fs-race component, and rounds in each. */
const GUEST_CALLS = 8;
const GUEST_CALL_ROUNDS = 100;
const BUDGET_MS = 6_000;
const roots: string[] = [];

afterAll(() => {
  for (const root of roots) rmSync(root, { recursive: true, force: true });
});

function layout(): { granted: string; outside: string } {
  const root = realpathSync(mkdtempSync(join(tmpdir(), 'wasmactor-race-')));
  roots.push(root);
  const granted = join(root, 'granted');
  const outside = join(root, 'outside');
  for (const dir of [granted, outside, join(granted, 'esc'), join(granted, 'a')]) mkdirSync(dir);
  writeFileSync(join(granted, 'esc', 'secret.txt'), 'inside');
  writeFileSync(join(outside, 'secret.txt'), 'SECRET');
  return { granted, outside };
}

function start(job: RaceJob): Promise<RaceReport> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(new URL('./fsRace.worker.boot.mjs', import.meta.url), { workerData: job });
    worker.once('message', (report: RaceReport) => {
      resolve(report);
      void worker.terminate();
    });
    worker.once('error', reject);
  });
}

/** Resolves once a flipper has flipped once (a worker can take seconds to start on a loaded machine). */
async function firstFlip(shared: SharedArrayBuffer): Promise<void> {
  const flips = new Int32Array(shared);
  const deadline = performance.now() + BUDGET_MS;
  while (Atomics.load(flips, 1) === 0 && performance.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** Runs one flipper against one reader; the flipper stops when the reader is done. */
async function race(flipper: 'flip-guest' | 'flip-host') {
  const { granted, outside } = layout();
  const shared = new SharedArrayBuffer(8);
  const base = { granted, outside: '../outside', rounds: ROUNDS, budgetMs: BUDGET_MS, shared };
  const flipping = start({ ...base, role: flipper, budgetMs: BUDGET_MS + 5_000 });
  const reader = await start({ ...base, role: 'read' });
  Atomics.store(new Int32Array(shared), 0, 1);
  const flips = await flipping;
  const escapedWrites = readdirSync(outside).filter((name) => name.startsWith('planted-')).length;
  process.stderr.write(
    `[fsRace] ${flipper}: ${reader.inside + reader.escapedReads} reads, ` +
      `${reader.inside} inside, ${reader.escapedReads} escaped reads, ${escapedWrites} escaped writes, ` +
      `${flips.flips} flips (errors ${JSON.stringify(flips.errors)}), reader errors ${JSON.stringify(reader.errors)}, ` +
      `mean open+read+close ${reader.meanOpenMicros.toFixed(1)} µs\n`,
  );
  return { reader, flips, escapedWrites };
}

/**
 * The race really ran (the link flipped, and reads met `esc` both as the directory and as the link
 * leading out), and nothing was read or written outside.
 */
function expectRaceRanWithoutEscape({
  reader,
  flips,
  escapedWrites,
}: Awaited<ReturnType<typeof race>>): void {
  expect(flips.flips).toBeGreaterThan(0);
  expect(reader.inside).toBeGreaterThan(0);
  expect((reader.errors['not-permitted'] ?? 0) + reader.escapedReads).toBeGreaterThan(0);
  expect(reader.escapedReads).toBe(0);
  expect(escapedWrites).toBe(0);
}

describe('a symlink flipped while a sandbox opens through it', () => {
  it('never lets a read or a write out when a second call of the guest flips the link', async () => {
    expectRaceRanWithoutEscape(await race('flip-guest'));
  }, 30_000);

  it('never lets a read or a write out when the host flips the link', async () => {
    expectRaceRanWithoutEscape(await race('flip-host'));
  }, 30_000);

  it('never lets a real guest read or write outside while the host flips the link', async () => {
    const { granted, outside } = layout();
    const cacheDir = await mkdtemp(join(tmpdir(), 'wasmactor-race-cache-'));
    roots.push(cacheDir);
    const probe: PreparedComponent = await prepareComponent(
      { path: fixturePath('wasi-probe') },
      { cacheDir },
    );
    const shared = new SharedArrayBuffer(8);
    try {
      const spec = { preopens: [{ hostPath: granted, guestPath: '/g', readOnly: false }] };
      const instances = await Promise.all([probe.instantiate(spec), probe.instantiate(spec)]);
      const flipping = start({
        role: 'flip-host',
        granted,
        outside: '../outside',
        rounds: 0,
        budgetMs: BUDGET_MS * 3,
        shared,
      });
      await firstFlip(shared);
      const tally = { inside: 0, escapedReads: 0, errors: {} as Record<string, number> };
      const deadline = performance.now() + BUDGET_MS * 2;
      await Promise.all(
        instances.map(async (instance, which) => {
          for (let i = 0; i < GUEST_ROUNDS && performance.now() < deadline; i++) {
            // `result<string, string>`: `{ok: text}` or `{err: code}`.
            const read = await instance.call('read-file', { path: '/g/esc/secret.txt' });
            const text = read.ok ? (read.value as { ok?: unknown }).ok : undefined;
            if (text === 'SECRET') tally.escapedReads++;
            else if (text === 'inside') tally.inside++;
            else {
              const code = String((read.ok ? read.value : (read.error as { err?: unknown }).err) ?? '');
              tally.errors[code] = (tally.errors[code] ?? 0) + 1;
            }
            await instance.call('write-file', {
              path: `/g/esc/planted-${which}-${i}.txt`,
              contents: 'planted',
            });
          }
          await instance.dispose();
        }),
      );
      Atomics.store(new Int32Array(shared), 0, 1);
      const flips = await flipping;
      const escapedWrites = readdirSync(outside).filter((name) => name.startsWith('planted-')).length;
      process.stderr.write(
        `[fsRace] real guest, host flips: ${tally.inside} inside, ${tally.escapedReads} escaped reads, ` +
          `${escapedWrites} escaped writes, ${flips.flips} flips, guest errors ${JSON.stringify(tally.errors)}\n`,
      );
      expect(flips.flips).toBeGreaterThan(0);
      expect(tally.inside).toBeGreaterThan(0);
      expect(tally.errors['{"err":"not-permitted"}'] ?? tally.errors['not-permitted'] ?? 0).toBeGreaterThan(
        0,
      );
      expect(tally.escapedReads).toBe(0);
      expect(escapedWrites).toBe(0);
    } finally {
      Atomics.store(new Int32Array(shared), 0, 1);
      await probe.dispose();
    }
  }, 120_000);

  it('never lets a real guest out when another call of the same component flips the link', async () => {
    const { granted, outside } = layout();
    const cacheDir = await mkdtemp(join(tmpdir(), 'wasmactor-race-cache-'));
    roots.push(cacheDir);
    // Built on demand (not one of the shared FIXTURE_NAMES): only this test needs it.
    const { 'fs-race': wasmPath } = await buildFixtures({ only: ['fs-race'], log: () => {} });
    if (!wasmPath) throw new Error('fixtures/build.ts built no fs-race');
    const component = await prepareComponent({ path: wasmPath }, { cacheDir });
    const spec = { preopens: [{ hostPath: granted, guestPath: '/g', readOnly: false }] };
    try {
      let readersDone = false;
      let flips = 0;
      // Stateless calls: each a fresh instance in its own worker, running at the same time.
      const flipping = (async () => {
        while (!readersDone) {
          const outcome = await component.callOnce('flip', { target: '../outside', rounds: 400 }, spec);
          flips += outcome.ok ? Number(outcome.value) : 0;
        }
      })();
      const tally = { inside: 0, escaped: 0, errors: [] as string[] };
      const readers = [0, 1].map(async (reader) => {
        for (let call = 0; call < GUEST_CALLS / 2; call++) {
          const outcome = await component.callOnce(
            'through',
            { tag: `${reader}-${call}`, rounds: GUEST_CALL_ROUNDS },
            spec,
          );
          if (!outcome.ok) throw new Error(`through failed: ${JSON.stringify(outcome.error)}`);
          const seen = outcome.value as { inside: number; escaped: number; errors: string };
          tally.inside += seen.inside;
          tally.escaped += seen.escaped;
          if (seen.errors) tally.errors.push(seen.errors);
        }
      });
      await Promise.all(readers).finally(() => {
        readersDone = true;
      });
      await flipping;
      const escapedWrites = readdirSync(outside).filter((name) => name.startsWith('planted-')).length;
      const refused = tally.errors.join(',').match(/not-permitted:\d+/g) ?? [];
      process.stderr.write(
        `[fsRace] real guest, guest flips (fs-race, ${GUEST_CALLS} x ${GUEST_CALL_ROUNDS} tries): ` +
          `${tally.inside} inside, ${tally.escaped} escaped reads, ${escapedWrites} escaped writes, ` +
          `${flips} flips, guest errors ${tally.errors.join(' | ')}\n`,
      );
      expect(flips).toBeGreaterThan(0);
      expect(tally.inside).toBeGreaterThan(0);
      expect(refused.length).toBeGreaterThan(0);
      expect(tally.escaped).toBe(0);
      expect(escapedWrites).toBe(0);
    } finally {
      await component.dispose();
    }
  }, 180_000);
});
