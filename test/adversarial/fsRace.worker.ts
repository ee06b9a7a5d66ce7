/**
 * One side of a race in fsRace.test.ts, in its own thread (as two calls of one component run in two
 * instance workers): `read` opens, reads and writes through `esc` in a sandbox; `flip-guest` flips `esc`
 * between a directory and a symlink leading out, through another sandbox's Descriptor API (what a guest
 * with a write grant can do); `flip-host` does the same with plain `fs` calls (the host, or any other
 * program). Runs until `shared[0]` is set or its own time budget is spent, then reports counts. Flippers
 * count their flips in `shared[1]`; `read` starts once the first flip is done, so that a slow worker
 * start cannot leave the reads without a race.
 */
import { existsSync, mkdirSync, renameSync, rmSync, symlinkSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { parentPort, workerData } from 'node:worker_threads';
import { createSandbox } from '../../src/runtime/sandbox/createSandbox.ts';

export interface RaceJob {
  role: 'read' | 'flip-guest' | 'flip-host';
  /** The granted directory; `esc` lives in it. */
  granted: string;
  /** Where `esc` leads when it is a symlink: `../outside`, relative to `granted`. */
  outside: string;
  /** Reads (for `read`) that found `esc` (as a directory or as a link) before it stops on its own. */
  rounds: number;
  budgetMs: number;
  /** Two int32: [stop, flips so far]. */
  shared: SharedArrayBuffer;
}

export interface RaceReport {
  role: RaceJob['role'];
  /** Reads that returned the file inside the grant. */
  inside: number;
  /** Reads that returned the file outside every grant, and writes that landed there. */
  escapedReads: number;
  escapedWrites: number;
  /** Refusals and misses, by WASI error code. */
  errors: Record<string, number>;
  flips: number;
  /** Mean sandbox open (+ read + close) in µs, for `read`. */
  meanOpenMicros: number;
}

type Stream = { blockingWriteAndFlush(b: Uint8Array): void; [Symbol.dispose](): void };
type Dir = {
  openAt(p: object, path: string, o: object, f: object): Dir;
  read(len: bigint, offset: bigint): [Uint8Array, boolean];
  writeViaStream(offset: bigint): Stream;
  symlinkAt(target: string, path: string): void;
  renameAt(from: string, to: Dir, path: string): void;
  unlinkFileAt(path: string): void;
  [Symbol.dispose](): void;
};

const job = workerData as RaceJob;
const shared = new Int32Array(job.shared);
const deadline = performance.now() + job.budgetMs;
const running = () => Atomics.load(shared, 0) === 0 && performance.now() < deadline;
const flipped = () => {
  report.flips++;
  Atomics.add(shared, 1, 1);
};
const report: RaceReport = {
  role: job.role,
  inside: 0,
  escapedReads: 0,
  escapedWrites: 0,
  errors: {},
  flips: 0,
  meanOpenMicros: 0,
};
const miss = (error: unknown) => {
  const code = typeof error === 'string' ? error : String((error as { code?: string }).code ?? error);
  report.errors[code] = (report.errors[code] ?? 0) + 1;
};

/** Keeps the link (or the directory) in place a little while, so that opens checked just before meet it. */
function hold(): void {
  const until = performance.now() + 0.1;
  while (performance.now() < until);
}

function grantedDir(): { dir: Dir; dispose(): void } {
  const sandbox = createSandbox(
    { preopens: [{ hostPath: job.granted, guestPath: '/g', readOnly: false }] },
    [],
  );
  const [[dir]] = (
    sandbox.imports['wasi:filesystem/preopens'] as { getDirectories(): [Dir, string][] }
  ).getDirectories() as [[Dir, string]];
  return { dir, dispose: () => sandbox.dispose() };
}

function read(): void {
  while (Atomics.load(shared, 1) === 0 && running()) Atomics.wait(shared, 1, 0, 5);
  const { dir, dispose } = grantedDir();
  const follow = { symlinkFollow: true };
  const decoder = new TextDecoder();
  let opened = 0;
  let openMicros = 0;
  // Tries while `esc` is missing (mid-flip) do not count towards `rounds`.
  let counted = 0;
  for (let i = 0; counted < job.rounds && running(); i++) {
    counted++;
    const started = performance.now();
    try {
      const file = dir.openAt(follow, 'esc/secret.txt', {}, { read: true });
      const text = decoder.decode(file.read(100n, 0n)[0]);
      file[Symbol.dispose]();
      openMicros += (performance.now() - started) * 1000;
      opened++;
      if (text === 'inside') report.inside++;
      else if (text === 'SECRET') report.escapedReads++;
      else miss(`read ${JSON.stringify(text)}`);
    } catch (error) {
      if (error === 'no-entry') counted--;
      miss(error);
    }
    // A write through the same link: a file appearing next to the secret is an escape.
    try {
      const file = dir.openAt(follow, `esc/planted-${i}.txt`, { create: true }, { write: true });
      const stream = file.writeViaStream(0n);
      stream.blockingWriteAndFlush(new TextEncoder().encode('planted'));
      stream[Symbol.dispose]();
      file[Symbol.dispose]();
    } catch (error) {
      miss(error);
    }
  }
  report.meanOpenMicros = opened === 0 ? 0 : openMicros / opened;
  dispose();
}

/** The guest's flip: `esc` moved away, a link made one level down (where `../outside` stays inside) moved up. */
function flipAsGuest(): void {
  const { dir, dispose } = grantedDir();
  while (running()) {
    try {
      dir.symlinkAt(job.outside, 'a/link');
      dir.renameAt('esc', dir, 'stash');
      dir.renameAt('a/link', dir, 'esc');
      hold();
      dir.unlinkFileAt('esc');
      dir.renameAt('stash', dir, 'esc');
      flipped();
      hold();
    } catch (error) {
      miss(error);
      // Put things back for the next round, whatever step failed.
      try {
        dir.unlinkFileAt('esc');
      } catch {}
      try {
        dir.unlinkFileAt('a/link');
      } catch {}
      try {
        dir.renameAt('stash', dir, 'esc');
      } catch {}
    }
  }
  dispose();
}

/** The host's flip, with plain path calls. */
function flipAsHost(): void {
  const esc = join(job.granted, 'esc');
  const stash = join(job.granted, 'stash');
  const link = join(job.granted, 'link');
  while (running()) {
    try {
      if (!existsSync(link)) symlinkSync(job.outside, link);
      renameSync(esc, stash);
      renameSync(link, esc);
      hold();
      unlinkSync(esc);
      renameSync(stash, esc);
      flipped();
      hold();
    } catch (error) {
      miss(error);
      if (!existsSync(esc)) {
        if (existsSync(stash)) renameSync(stash, esc);
        else mkdirSync(esc);
      }
    }
  }
  rmSync(link, { force: true });
}

if (job.role === 'read') read();
else if (job.role === 'flip-guest') flipAsGuest();
else flipAsHost();
parentPort?.postMessage(report);
