/**
 * Where the transpile cache keeps its entries, and the removal of what interrupted writes left there.
 *
 *   <cacheDir>/transpiled/jco-<version>-p<patch>/<sha256>/                 an entry (renamed into place whole)
 *   <cacheDir>/transpiled/jco-<version>-p<patch>/<sha256>.tmp-<pid>-<rand>/ an entry being written
 *
 * A process killed while it wrote an entry (a test run stopped, a server killed during a load) leaves its
 * temporary folder behind, about the size of the component each. Once per process and cache, in the
 * background, the first use of the cache removes the temporary folders of processes that are gone (and
 * untouched for a minute: a cache shared with another pid namespace may see a live writer as gone, and
 * no write takes that long), and any older than an hour (a pid used again by another process).
 */
import { lstat, readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { log } from '../log.ts';

/** Version of jco-transpile, part of every cache key. */
export const jcoVersion: string = await readJcoVersion();

async function readJcoVersion(): Promise<string> {
  const entry = new URL(import.meta.resolve('@bytecodealliance/jco-transpile'));
  const pkg = JSON.parse(await readFile(new URL('../package.json', entry), 'utf8')) as { version: string };
  return pkg.version;
}

/** Bumped whenever the way glue is patched changes, so stale entries are not reused. */
const patchVersion = 4;

/** The folder of this jco version's entries in `cacheDir`. */
export function versionDir(cacheDir: string): string {
  return join(cacheDir, 'transpiled', `jco-${jcoVersion}-p${patchVersion}`);
}

/** The suffix of a temporary folder this process writes an entry into: `.tmp-<pid>-<random>`. */
export function tmpSuffix(): string {
  return `.tmp-${process.pid}-${Math.random().toString(36).slice(2)}`;
}

const TMP_NAME = /^[0-9a-f]{64}\.tmp-(\d+)-[0-9a-z]+$/;

/** When a temporary folder is a leftover (ms since its last change). */
export interface SweepAges {
  /** Of a process that is gone (default a minute). */
  goneAfterMs: number;
  /** Of any process, this one included (default an hour). */
  anyAfterMs: number;
}

const defaultAges: SweepAges = { goneAfterMs: 60_000, anyAfterMs: 3_600_000 };

/** True while a process with this pid exists (one of another user too). */
function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function namesIn(dir: string): Promise<string[]> {
  return readdir(dir).catch(() => []);
}

/**
 * Removes the leftover temporary folders of every jco version's entries in `cacheDir` (see above);
 * resolves to the paths removed. Entries, and the temporary folders of writes that may still be going
 * on, are left alone. What cannot be removed is logged (debug) and left.
 */
export async function sweepTranspileCache(
  cacheDir: string,
  ages: SweepAges = defaultAges,
): Promise<string[]> {
  const root = join(cacheDir, 'transpiled');
  const removed: string[] = [];
  const now = Date.now();
  for (const version of await namesIn(root)) {
    if (!version.startsWith('jco-')) continue;
    for (const name of await namesIn(join(root, version))) {
      const match = TMP_NAME.exec(name);
      if (!match) continue;
      const path = join(root, version, name);
      try {
        const age = now - (await lstat(path)).mtimeMs;
        const pid = Number(match[1]);
        const gone = !processExists(pid);
        if (age < ages.anyAfterMs && !(gone && age >= ages.goneAfterMs)) continue;
        await rm(path, { recursive: true, force: true });
        removed.push(path);
      } catch (error) {
        log.debug('cannot remove a leftover of the transpile cache', {
          path,
          error: (error as Error).message,
        });
      }
    }
  }
  if (removed.length > 0) log.debug('removed leftovers of interrupted transpile-cache writes', { removed });
  return removed;
}

const sweeps = new Map<string, Promise<string[]>>();

/** `sweepTranspileCache(cacheDir)` once per process and cache (the same promise after the first call). */
export function sweepOnce(cacheDir: string): Promise<string[]> {
  let sweep = sweeps.get(cacheDir);
  if (!sweep) {
    sweep = sweepTranspileCache(cacheDir).catch(() => []);
    sweeps.set(cacheDir, sweep);
  }
  return sweep;
}
