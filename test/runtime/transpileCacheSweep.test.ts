/**
 * The transpile cache removes the temporary folders that interrupted writes left behind (a process
 * killed while it wrote an entry): those of processes that are gone, once a minute old, and any older
 * than an hour; never an entry, never the folder of a write that may still be going on.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { sha256, transpileCached } from '../../src/runtime/prepare/transpileCache.ts';
import {
  sweepOnce,
  sweepTranspileCache,
  tmpSuffix,
  versionDir,
} from '../../src/runtime/prepare/transpileCacheSweep.ts';
import { endIdleTranspiler } from '../../src/runtime/prepare/transpiler.ts';
import { fixturePath } from '../helpers/fixtures.ts';

let cacheDir: string;
beforeEach(async () => {
  cacheDir = await mkdtemp(join(tmpdir(), 'wasmactor-sweep-'));
});
afterEach(async () => {
  await endIdleTranspiler();
  await rm(cacheDir, { recursive: true, force: true });
});

/** The pid of a process that has ended. */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', ''], { stdio: 'ignore' });
  await new Promise((done) => child.once('exit', done));
  return child.pid as number;
}

const hash = (n: number) => n.toString(16).padStart(64, '0');

/** A folder with a file in it, last changed `ageMs` ago. */
async function folder(path: string, ageMs: number): Promise<string> {
  await mkdir(path, { recursive: true });
  await writeFile(join(path, 'component.core.wasm'), 'x');
  const when = new Date(Date.now() - ageMs);
  await utimes(path, when, when);
  return path;
}

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

describe('the transpile cache sweep', () => {
  it('removes the leftovers of gone processes and old ones, and nothing else', async () => {
    const gone = await deadPid();
    const alive = process.ppid;
    const here = join(cacheDir, 'transpiled', 'jco-0.0.1-p1');
    const current = versionDir(cacheDir);
    const removed = [
      await folder(join(here, `${hash(1)}.tmp-${gone}-abc`), 2 * MINUTE),
      await folder(join(current, `${hash(2)}.tmp-${gone}-k3j`), 2 * MINUTE),
      await folder(join(current, `${hash(3)}.tmp-${alive}-old`), 2 * HOUR),
      await folder(join(current, `${hash(4)}${tmpSuffix()}`), 2 * HOUR),
    ];
    const kept = [
      // a write that may still be going on: its process is gone only since a moment (or in another pid
      // namespace), or it is alive, this process included
      await folder(join(current, `${hash(5)}.tmp-${gone}-new`), 5_000),
      await folder(join(current, `${hash(6)}.tmp-${alive}-busy`), 30 * MINUTE),
      await folder(join(current, `${hash(7)}${tmpSuffix()}`), 30 * MINUTE),
      // entries, and names that are not the cache's
      await folder(join(current, hash(8)), 2 * HOUR),
      await folder(join(current, `${hash(9)}.tmp-x-y`), 2 * HOUR),
      await folder(join(current, 'notes.tmp-1-a'), 2 * HOUR),
      await folder(join(cacheDir, 'transpiled', 'other', `${hash(10)}.tmp-${gone}-a`), 2 * HOUR),
    ];
    expect((await sweepTranspileCache(cacheDir)).sort()).toEqual([...removed].sort());
    for (const path of removed) expect(existsSync(path), path).toBe(false);
    for (const path of kept) expect(existsSync(path), path).toBe(true);
  });

  it('runs once per process and cache, on the first use of the cache, while the load goes on', async () => {
    const leftover = await folder(
      join(versionDir(cacheDir), `${hash(1)}.tmp-${await deadPid()}-a`),
      HOUR / 2,
    );
    const bytes = await readFile(fixturePath('counter'));
    const transpiled = await transpileCached(bytes, sha256(bytes), cacheDir, undefined, 0);
    await transpiled.stored;
    // removed by the load itself (in the background), not by the sweep this test asks for below
    const end = Date.now() + 10_000;
    while (existsSync(leftover) && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
    expect(existsSync(leftover), 'the first use of the cache removed the leftover').toBe(false);
    expect(await sweepOnce(cacheDir)).toEqual([leftover]);
    expect(existsSync(transpiled.gluePath), 'the new entry is whole').toBe(true);
    // the same sweep, not another one: a leftover that appears later stays until the next process
    const later = await folder(join(versionDir(cacheDir), `${hash(2)}.tmp-${await deadPid()}-b`), HOUR / 2);
    await transpileCached(bytes, sha256(bytes), cacheDir, undefined, 0);
    expect(await sweepOnce(cacheDir)).toEqual([leftover]);
    expect(existsSync(later)).toBe(true);
  }, 60_000);

  it('finds nothing to do in a cache that does not exist yet', async () => {
    expect(await sweepTranspileCache(join(cacheDir, 'none'))).toEqual([]);
  });
});
