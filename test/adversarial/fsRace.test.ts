/**
 * Symlink races against the sandbox's filesystem (issue 16, item 1). A directory `esc` inside the grant
 * holds `secret.txt` = "inside"; outside every grant, `outside/secret.txt` = "SECRET". While one thread
 * flips `esc` between that directory and a symlink `esc -> ../outside`, another opens `esc/secret.txt`
 * for reading and `esc/planted-N.txt` for writing through a sandbox, hundreds of times. Reading "SECRET"
 * or a planted file appearing outside is an escape; refusals and misses are fine. Each side runs in its
 * own worker thread, as two calls of one component run in two instance workers.
 *
 * - the guest's race: the flipper is a second sandbox over the same grant (a guest with a write grant:
 *   it makes the link one level down, where `../outside` stays inside, and renames it up);
 * - the host's race: the flipper is plain `fs` calls inside the granted directory.
 *
 * Bounded: each race stops after ROUNDS tries that found `esc` (a directory or a link; a try while it
 * is missing mid-flip does not count) or after BUDGET_MS, whichever comes first.
 */
import { mkdirSync, mkdtempSync, readdirSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { afterAll, describe, expect, it } from 'vitest';
import type { RaceJob, RaceReport } from './fsRace.worker.ts';

const ROUNDS = 600;
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

/** Runs one flipper against one reader; the flipper stops when the reader is done. */
async function race(flipper: 'flip-guest' | 'flip-host') {
  const { granted, outside } = layout();
  const stop = new SharedArrayBuffer(4);
  const base = { granted, outside: '../outside', rounds: ROUNDS, budgetMs: BUDGET_MS, stop };
  const flipping = start({ ...base, role: flipper, budgetMs: BUDGET_MS + 5_000 });
  const reader = await start({ ...base, role: 'read' });
  Atomics.store(new Int32Array(stop), 0, 1);
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

describe('a symlink flipped while a sandbox opens through it', () => {
  it('never lets a read or a write out when a second call of the guest flips the link', async () => {
    const { reader, flips, escapedWrites } = await race('flip-guest');
    // The race really ran: reads met `esc` both as the directory and as the link leading out.
    expect(flips.flips).toBeGreaterThan(0);
    expect(reader.inside).toBeGreaterThan(0);
    expect((reader.errors['not-permitted'] ?? 0) + reader.escapedReads).toBeGreaterThan(0);
    expect(reader.escapedReads).toBe(0);
    expect(escapedWrites).toBe(0);
  }, 30_000);

  it('never lets a read or a write out when the host flips the link', async () => {
    const { reader, flips, escapedWrites } = await race('flip-host');
    expect(flips.flips).toBeGreaterThan(0);
    expect(reader.inside).toBeGreaterThan(0);
    expect((reader.errors['not-permitted'] ?? 0) + reader.escapedReads).toBeGreaterThan(0);
    expect(reader.escapedReads).toBe(0);
    expect(escapedWrites).toBe(0);
  }, 30_000);
});
