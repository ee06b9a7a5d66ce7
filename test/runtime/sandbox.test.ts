/**
 * The per-instance sandbox, tested on the real preview2-shim objects it hands to the glue: real temp
 * directories, real symlinks, real file descriptors. No mocks.
 */
import { spawnSync } from 'node:child_process';
import {
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  realpathSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { io } from '@bytecodealliance/preview2-shim';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createSandbox,
  GuestExit,
  isHostAllowed,
  MissingImportError,
  type Sandbox,
  SandboxDescriptor,
} from '../../src/runtime/sandbox/createSandbox.ts';
import type { Preopen } from '../../src/runtime/types.ts';

// --- the shim's shapes, as far as these tests call them -----------------------------------------

type PathFlags = { symlinkFollow?: boolean };
interface InputStream {
  blockingRead(len: bigint): Uint8Array;
  [Symbol.dispose](): void;
}
interface OutputStream {
  blockingWriteAndFlush(bytes: Uint8Array): void;
  write(bytes: Uint8Array): void;
  checkWrite(): bigint;
  [Symbol.dispose](): void;
}
interface Descriptor {
  openAt(pathFlags: PathFlags, path: string, openFlags: object, flags: object): Descriptor;
  readViaStream(offset: bigint): InputStream;
  writeViaStream(offset: bigint): OutputStream;
  appendViaStream(): OutputStream;
  write(buffer: Uint8Array, offset: bigint): bigint;
  read(length: bigint, offset: bigint): [Uint8Array, boolean];
  setSize(size: bigint): void;
  setTimes(a: object, m: object): void;
  setTimesAt(pathFlags: PathFlags, path: string, a: object, m: object): void;
  createDirectoryAt(path: string): void;
  removeDirectoryAt(path: string): void;
  renameAt(oldPath: string, to: Descriptor, newPath: string): void;
  linkAt(oldFlags: PathFlags, oldPath: string, to: Descriptor, newPath: string): void;
  symlinkAt(target: string, path: string): void;
  readlinkAt(path: string): string;
  unlinkFileAt(path: string): void;
  statAt(pathFlags: PathFlags, path: string): { type: string; size: bigint };
  stat(): { type: string };
  readDirectory(): { readDirectoryEntry(): { name: string } | undefined; [Symbol.dispose](): void };
  getFlags(): { read?: boolean; write?: boolean; mutateDirectory?: boolean };
  getType(): string;
  [Symbol.dispose](): void;
}

const READ = { read: true };
const WRITE = { write: true };
const NOW = { tag: 'now' };
const decoder = new TextDecoder();
const encoder = new TextEncoder();

function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error('expected a throw, got none');
}

function iface<T>(sandbox: Sandbox, name: string): T {
  const value = sandbox.imports[name];
  if (value === undefined) throw new Error(`no import ${name}`);
  return value as T;
}

function preopens(sandbox: Sandbox): Map<string, Descriptor> {
  const fs = iface<{ getDirectories(): [Descriptor, string][] }>(sandbox, 'wasi:filesystem/preopens');
  return new Map(fs.getDirectories().map(([descriptor, path]) => [path, descriptor]));
}

function preopen(sandbox: Sandbox, guestPath: string): Descriptor {
  const descriptor = preopens(sandbox).get(guestPath);
  if (!descriptor) throw new Error(`no preopen ${guestPath}`);
  return descriptor;
}

function readAll(dir: Descriptor, path: string, pathFlags: PathFlags = { symlinkFollow: true }): string {
  const file = dir.openAt(pathFlags, path, {}, READ);
  const stream = file.readViaStream(0n);
  let text = '';
  for (;;) {
    let chunk: Uint8Array;
    try {
      chunk = stream.blockingRead(4096n);
    } catch (error) {
      if ((error as { tag?: string }).tag === 'closed') break;
      throw error;
    }
    text += decoder.decode(chunk);
  }
  stream[Symbol.dispose]();
  file[Symbol.dispose]();
  return text;
}

function writeAll(dir: Descriptor, path: string, text: string): void {
  const file = dir.openAt({}, path, { create: true, truncate: true }, WRITE);
  const stream = file.writeViaStream(0n);
  stream.blockingWriteAndFlush(encoder.encode(text));
  stream[Symbol.dispose]();
  file[Symbol.dispose]();
}

function openFdCount(): number {
  return readdirSync('/proc/self/fd').length;
}

// --- temp directories ------------------------------------------------------------------------------

const root = realpathSync(mkdtempSync(join(tmpdir(), 'wasmactor-sandbox-')));
const roDir = join(root, 'ro');
const rwDir = join(root, 'rw');
const outside = join(root, 'outside');
const otherDir = join(root, 'other');

beforeAll(() => {
  for (const dir of [roDir, rwDir, outside, otherDir, join(roDir, 'sub'), join(rwDir, 'sub')]) {
    mkdirSync(dir, { recursive: true });
  }
  writeFileSync(join(outside, 'secret.txt'), 'top secret');
  writeFileSync(join(roDir, 'data.txt'), 'read-only data');
  writeFileSync(join(roDir, 'sub', 'nested.txt'), 'nested');
  writeFileSync(join(rwDir, 'data.txt'), 'writable data');
  writeFileSync(join(otherDir, 'data.txt'), 'the other sandbox');
  // Every way a symlink could lead out of a preopen, and one that stays inside.
  symlinkSync(join(outside, 'secret.txt'), join(rwDir, 'abs-link'));
  symlinkSync('../outside/secret.txt', join(rwDir, 'rel-link'));
  symlinkSync('../../outside', join(rwDir, 'sub', 'dir-link'));
  symlinkSync(outside, join(roDir, 'abs-dir-link'));
  symlinkSync('data.txt', join(rwDir, 'inside-link'));
});

afterAll(() => {
  rmSync(root, { recursive: true, force: true });
});

const RO: Preopen = { hostPath: roDir, guestPath: '/ro', readOnly: true };
const RW: Preopen = { hostPath: rwDir, guestPath: '/rw', readOnly: false };

// --- tests -----------------------------------------------------------------------------------------

describe('environment', () => {
  it('shows the guest only spec.env, never the host environment', () => {
    expect(process.env.PATH).toBeTruthy();
    const sandbox = createSandbox({ env: { GREETING: 'hi', EMPTY: '' } }, []);
    const env = iface<{ getEnvironment(): [string, string][] }>(sandbox, 'wasi:cli/environment');
    expect(env.getEnvironment()).toEqual([
      ['GREETING', 'hi'],
      ['EMPTY', ''],
    ]);
    const keys = env.getEnvironment().map(([key]) => key);
    expect(keys).not.toContain('PATH');
    expect(keys).not.toContain('HOME');
  });

  it('gives an empty environment, no arguments and no cwd when the spec has none', () => {
    const env = iface<{ getEnvironment(): unknown[]; getArguments(): unknown[]; initialCwd(): unknown }>(
      createSandbox({}, []),
      'wasi:cli/environment',
    );
    expect(env.getEnvironment()).toEqual([]);
    expect(env.getArguments()).toEqual([]);
    expect(env.initialCwd()).toBeUndefined();
  });

  it('keeps two sandboxes alive at once apart', () => {
    const a = createSandbox({ env: { WHO: 'a' } }, []);
    const b = createSandbox({ env: { WHO: 'b' } }, []);
    const envOf = (s: Sandbox) =>
      iface<{ getEnvironment(): [string, string][] }>(s, 'wasi:cli/environment').getEnvironment();
    expect(envOf(a)).toEqual([['WHO', 'a']]);
    expect(envOf(b)).toEqual([['WHO', 'b']]);
  });
});

describe('import keys', () => {
  it('answers both the versioned name the component imports and the unversioned one the glue looks up', () => {
    const sandbox = createSandbox({ env: { X: '1' } }, [
      'wasi:cli/environment@0.2.3',
      'wasi:io/streams@0.2.0',
    ]);
    expect(sandbox.imports['wasi:cli/environment@0.2.3']).toBe(sandbox.imports['wasi:cli/environment']);
    expect(sandbox.imports['wasi:io/streams@0.2.0']).toBe(sandbox.imports['wasi:io/streams']);
    for (const name of [
      'wasi:cli/exit',
      'wasi:filesystem/types',
      'wasi:http/outgoing-handler',
      'wasi:sockets/tcp',
    ]) {
      expect(sandbox.imports[name], name).toBeDefined();
    }
  });
});

describe('preopens', () => {
  it('exposes exactly the given preopens, and files in them', () => {
    const sandbox = createSandbox({ preopens: [RO, RW] }, []);
    expect([...preopens(sandbox).keys()]).toEqual(['/ro', '/rw']);
    expect(readAll(preopen(sandbox, '/ro'), 'data.txt')).toBe('read-only data');
    expect(readAll(preopen(sandbox, '/rw'), 'data.txt')).toBe('writable data');
    expect(createSandbox({}, []).imports['wasi:filesystem/preopens']).toMatchObject({});
    expect(preopens(createSandbox({}, [])).size).toBe(0);
  });

  it('gives two sandboxes with the same guest path their own files', () => {
    const a = createSandbox({ preopens: [{ hostPath: rwDir, guestPath: '/data', readOnly: false }] }, []);
    const b = createSandbox({ preopens: [{ hostPath: otherDir, guestPath: '/data', readOnly: false }] }, []);
    expect(readAll(preopen(a, '/data'), 'data.txt')).toBe('writable data');
    expect(readAll(preopen(b, '/data'), 'data.txt')).toBe('the other sandbox');
  });

  it('hands the glue descriptors of the class it checks with instanceof', () => {
    const sandbox = createSandbox({ preopens: [RW] }, []);
    const { Descriptor } = iface<{ Descriptor: unknown }>(sandbox, 'wasi:filesystem/types');
    expect(Descriptor).toBe(SandboxDescriptor);
    const dir = preopen(sandbox, '/rw');
    expect(dir).toBeInstanceOf(SandboxDescriptor);
    expect(dir.openAt({}, 'data.txt', {}, READ)).toBeInstanceOf(SandboxDescriptor);
    expect(dir.openAt({}, 'data.txt', {}, READ).readViaStream(0n)).toBeInstanceOf(io.streams.InputStream);
    expect(dir.getType()).toBe('directory');
    expect(dir.getFlags()).toEqual({ read: true, mutateDirectory: true });
    expect(preopen(createSandbox({ preopens: [RO] }, []), '/ro').getFlags()).toEqual({
      read: true,
      mutateDirectory: false,
    });
  });
});

describe('a read-only preopen', () => {
  const sandbox = createSandbox({ preopens: [RO, RW] }, []);
  const ro = () => preopen(sandbox, '/ro');
  const rw = () => preopen(sandbox, '/rw');
  const roFile = () => ro().openAt({}, 'data.txt', {}, READ);

  it('refuses to create, truncate or open for writing', () => {
    expect(thrown(() => ro().openAt({}, 'new.txt', { create: true }, WRITE))).toBe('read-only');
    expect(thrown(() => ro().openAt({}, 'new.txt', { create: true }, READ))).toBe('read-only');
    expect(thrown(() => ro().openAt({}, 'data.txt', {}, WRITE))).toBe('read-only');
    expect(thrown(() => ro().openAt({}, 'data.txt', { truncate: true }, READ))).toBe('read-only');
    expect(
      thrown(() => ro().openAt({}, 'sub', { directory: true }, { read: true, mutateDirectory: true })),
    ).toBe('read-only');
  });

  it('refuses writes through a descriptor opened for reading', () => {
    const file = roFile();
    expect(thrown(() => file.writeViaStream(0n))).toBe('read-only');
    expect(thrown(() => file.appendViaStream())).toBe('read-only');
    expect(thrown(() => file.write(encoder.encode('x'), 0n))).toBe('read-only');
    expect(thrown(() => file.setSize(0n))).toBe('read-only');
    expect(thrown(() => file.setTimes(NOW, NOW))).toBe('read-only');
    expect(file.getFlags().write).toBeFalsy();
  });

  it('refuses every change to the directory tree', () => {
    expect(thrown(() => ro().createDirectoryAt('newdir'))).toBe('read-only');
    expect(thrown(() => ro().removeDirectoryAt('sub'))).toBe('read-only');
    expect(thrown(() => ro().unlinkFileAt('data.txt'))).toBe('read-only');
    expect(thrown(() => ro().symlinkAt('data.txt', 'link'))).toBe('read-only');
    expect(thrown(() => ro().renameAt('data.txt', ro(), 'moved.txt'))).toBe('read-only');
    expect(thrown(() => ro().linkAt({}, 'data.txt', ro(), 'hard.txt'))).toBe('read-only');
    expect(thrown(() => ro().setTimesAt({}, 'data.txt', NOW, NOW))).toBe('read-only');
    const sub = ro().openAt({}, 'sub', { directory: true }, READ);
    expect(thrown(() => sub.unlinkFileAt('nested.txt'))).toBe('read-only');
  });

  it('refuses to move or link its files into a writable preopen, or files into it', () => {
    expect(thrown(() => ro().renameAt('data.txt', rw(), 'stolen.txt'))).toBe('read-only');
    // A hard link in the writable tree would make the read-only file writable through it.
    expect(thrown(() => ro().linkAt({}, 'data.txt', rw(), 'hard.txt'))).toBe('read-only');
    expect(thrown(() => rw().renameAt('data.txt', ro(), 'planted.txt'))).toBe('read-only');
    expect(thrown(() => rw().linkAt({}, 'data.txt', ro(), 'planted.txt'))).toBe('read-only');
  });

  it("records once per call which grant refused a change (for the tool error's advice), outside guest output", () => {
    const own = createSandbox({ preopens: [RO, RW] }, []);
    const roOwn = () => preopen(own, '/ro');
    own.takeDenials();
    expect(thrown(() => roOwn().unlinkFileAt('data.txt'))).toBe('read-only');
    expect(thrown(() => roOwn().openAt({}, 'new.txt', { create: true }, WRITE))).toBe('read-only');
    const denial = { kind: 'read-only', uri: `fs://${roDir}` };
    expect(own.takeDenials()).toEqual([denial]);
    // Nothing of it in the guest's own output.
    expect(own.takeOutput()).toEqual({ stdout: '', stderr: '', truncated: false });
    preopen(own, '/rw').openAt({}, 'ok.txt', { create: true }, WRITE);
    expect(own.takeDenials()).toEqual([]);
    expect(thrown(() => roOwn().createDirectoryAt('x'))).toBe('read-only');
    expect(own.takeDenials()).toEqual([denial]);
    own.dispose();
  });

  it('has left every file as it was', () => {
    expect(readdirSync(roDir).sort()).toEqual(['abs-dir-link', 'data.txt', 'sub']);
    expect(readdirSync(join(roDir, 'sub'))).toEqual(['nested.txt']);
    expect(readFileSync(join(roDir, 'data.txt'), 'utf8')).toBe('read-only data');
    expect(readdirSync(rwDir)).not.toContain('stolen.txt');
    expect(readdirSync(rwDir)).not.toContain('hard.txt');
  });

  it('still allows reading, listing and stat', () => {
    expect(readAll(ro(), 'sub/nested.txt')).toBe('nested');
    expect(ro().statAt({}, 'data.txt').size).toBe(14n);
    // The shim alone answers `invalid` for stat of a preopen and `bad-descriptor` for listing one.
    expect(ro().stat().type).toBe('directory');
    const listing = ro().readDirectory();
    const names: string[] = [];
    for (let entry = listing.readDirectoryEntry(); entry; entry = listing.readDirectoryEntry())
      names.push(entry.name);
    expect(names.sort()).toEqual(['abs-dir-link', 'data.txt', 'sub']);
  });
});

describe('a writable preopen', () => {
  it('allows every mutation the read-only one refuses', () => {
    const dir = mkdtempSync(join(root, 'scratch-'));
    const sandbox = createSandbox({ preopens: [{ hostPath: dir, guestPath: '/w', readOnly: false }] }, []);
    const w = preopen(sandbox, '/w');
    writeAll(w, 'a.txt', 'hello');
    const file = w.openAt({}, 'a.txt', {}, { read: true, write: true });
    const appender = file.appendViaStream();
    appender.blockingWriteAndFlush(encoder.encode(' world'));
    appender[Symbol.dispose]();
    expect(readFileSync(join(dir, 'a.txt'), 'utf8')).toBe('hello world');
    w.renameAt('a.txt', w, 'b.txt');
    w.linkAt({}, 'b.txt', w, 'c.txt');
    w.symlinkAt('b.txt', 'd.txt');
    w.createDirectoryAt('e');
    w.setTimesAt({}, 'b.txt', NOW, NOW);
    expect(readdirSync(dir).sort()).toEqual(['b.txt', 'c.txt', 'd.txt', 'e']);
    w.unlinkFileAt('c.txt');
    w.removeDirectoryAt('e');
    // A subdirectory opened with mutate-directory (which the shim alone refuses) works.
    w.createDirectoryAt('f');
    const f = w.openAt({}, 'f', { directory: true }, { read: true, mutateDirectory: true });
    writeAll(f, 'g.txt', 'in f');
    expect(readdirSync(dir).sort()).toEqual(['b.txt', 'd.txt', 'f']);
    expect(readFileSync(join(dir, 'f', 'g.txt'), 'utf8')).toBe('in f');
  });
});

describe('no escape from a preopen', () => {
  const sandbox = createSandbox({ preopens: [RO, RW] }, []);
  const rw = () => preopen(sandbox, '/rw');
  const ro = () => preopen(sandbox, '/ro');
  const follow = { symlinkFollow: true };

  it('refuses .. that climbs out', () => {
    expect(thrown(() => rw().openAt(follow, '../outside/secret.txt', {}, READ))).toBe('not-permitted');
    expect(thrown(() => rw().openAt(follow, 'sub/../../outside/secret.txt', {}, READ))).toBe('not-permitted');
    expect(thrown(() => rw().openAt(follow, '..', { directory: true }, READ))).toBe('not-permitted');
    expect(thrown(() => rw().statAt(follow, '../outside'))).toBe('not-permitted');
    // ... also from a subdirectory that was opened on its own.
    const sub = rw().openAt(follow, 'sub', { directory: true }, READ);
    expect(thrown(() => sub.openAt(follow, '../../outside/secret.txt', {}, READ))).toBe('not-permitted');
    // A .. that stays inside is fine.
    expect(readAll(rw(), 'sub/../data.txt')).toBe('writable data');
  });

  it('refuses absolute paths', () => {
    expect(thrown(() => rw().openAt(follow, join(outside, 'secret.txt'), {}, READ))).toBe('not-permitted');
    expect(thrown(() => rw().openAt(follow, '/etc/passwd', {}, READ))).toBe('not-permitted');
    expect(thrown(() => rw().openAt({}, '/tmp/planted.txt', { create: true }, WRITE))).toBe('not-permitted');
  });

  it('refuses symlinks that point outside, absolute or relative, to a file or a directory', () => {
    expect(thrown(() => rw().openAt(follow, 'abs-link', {}, READ))).toBe('not-permitted');
    expect(thrown(() => rw().openAt(follow, 'rel-link', {}, READ))).toBe('not-permitted');
    expect(thrown(() => rw().openAt(follow, 'sub/dir-link/secret.txt', {}, READ))).toBe('not-permitted');
    expect(thrown(() => ro().openAt(follow, 'abs-dir-link/secret.txt', {}, READ))).toBe('not-permitted');
    expect(thrown(() => rw().statAt(follow, 'rel-link'))).toBe('not-permitted');
    // Writing through an outside link is refused too, and the outside file is untouched.
    expect(thrown(() => rw().openAt(follow, 'abs-link', { truncate: true }, WRITE))).toBe('not-permitted');
    expect(readFileSync(join(outside, 'secret.txt'), 'utf8')).toBe('top secret');
  });

  it('refuses a symlink the guest made itself to climb out', () => {
    const dir = mkdtempSync(join(root, 'escape-'));
    const sandbox2 = createSandbox({ preopens: [{ hostPath: dir, guestPath: '/w', readOnly: false }] }, []);
    const w = preopen(sandbox2, '/w');
    expect(thrown(() => w.symlinkAt('/etc/passwd', 'abs'))).toBe('not-permitted');
    // A relative target that climbs out is refused when the link is made, wherever the link is made.
    expect(thrown(() => w.symlinkAt('../outside/secret.txt', 'up'))).toBe('not-permitted');
    w.createDirectoryAt('d');
    expect(thrown(() => w.symlinkAt('../../outside', 'd/up'))).toBe('not-permitted');
    expect(thrown(() => w.symlinkAt('x/../../..', 'd/up'))).toBe('not-permitted');
    expect(readdirSync(dir).sort()).toEqual(['d']);
    expect(readdirSync(join(dir, 'd'))).toEqual([]);
    // One that stays inside is made, and followed.
    writeAll(w, 'target.txt', 'inside');
    w.symlinkAt('../target.txt', 'd/back');
    expect(readAll(w, 'd/back')).toBe('inside');
    // A link the host planted (or one moved up by a rename) is still refused when followed.
    symlinkSync('../outside/secret.txt', join(dir, 'planted'));
    expect(thrown(() => w.openAt(follow, 'planted', {}, READ))).toBe('not-permitted');
    w.renameAt('d/back', w, 'moved');
    expect(thrown(() => w.openAt(follow, 'moved', {}, READ))).toBe('not-permitted');
  });

  it('does not follow a final symlink when asked not to (O_NOFOLLOW)', () => {
    expect(thrown(() => rw().openAt({}, 'abs-link', {}, READ))).toBe('loop');
    expect(rw().statAt({}, 'abs-link').type).toBe('symbolic-link');
  });

  it('follows symlinks that stay inside', () => {
    expect(readAll(rw(), 'inside-link')).toBe('writable data');
  });
});

describe('path resolution (one component at a time, by descriptor)', () => {
  const dir = mkdtempSync(join(root, 'walk-'));
  const sandbox = createSandbox({ preopens: [{ hostPath: dir, guestPath: '/w', readOnly: false }] }, []);
  const w = () => preopen(sandbox, '/w');
  const follow = { symlinkFollow: true };

  beforeAll(() => {
    mkdirSync(join(dir, 'a', 'b'), { recursive: true });
    writeFileSync(join(dir, 'a', 'b', 'f.txt'), 'deep');
    symlinkSync('loop-2', join(dir, 'loop-1'));
    symlinkSync('loop-1', join(dir, 'loop-2'));
    // A chain of 5 links, each one level of indirection: well inside the 40-hop limit.
    symlinkSync('a/b/f.txt', join(dir, 'chain-0'));
    for (let i = 1; i < 5; i++) symlinkSync(`chain-${i - 1}`, join(dir, `chain-${i}`));
    symlinkSync('a/b', join(dir, 'dir-link'));
  });

  it('follows a chain of links and links to directories in the middle of a path', () => {
    expect(readAll(w(), 'chain-4')).toBe('deep');
    expect(readAll(w(), 'dir-link/f.txt')).toBe('deep');
    expect(readAll(w(), 'dir-link/../b/./f.txt')).toBe('deep');
  });

  it('ends a symlink loop with `loop`', () => {
    expect(thrown(() => w().openAt(follow, 'loop-1', {}, READ))).toBe('loop');
    expect(thrown(() => w().openAt(follow, 'loop-1/x', {}, READ))).toBe('loop');
    expect(thrown(() => w().statAt(follow, 'loop-2'))).toBe('loop');
    // Without following, the link itself is there.
    expect(w().statAt({}, 'loop-1').type).toBe('symbolic-link');
    expect(w().readlinkAt('loop-1')).toBe('loop-2');
  });

  it('says not-directory for a file used as a directory, and for a file named with a trailing slash', () => {
    expect(thrown(() => w().openAt(follow, 'a/b/f.txt/x', {}, READ))).toBe('not-directory');
    expect(thrown(() => w().openAt(follow, 'a/b/f.txt/', {}, READ))).toBe('not-directory');
    expect(thrown(() => w().openAt(follow, 'a/b/f.txt', { directory: true }, READ))).toBe('not-directory');
  });

  it('treats a descriptor of a subdirectory as its own root: no .. above it, no link made leading above it', () => {
    const b = w().openAt(follow, 'a/b', { directory: true }, READ);
    expect(b.getType()).toBe('directory');
    expect(readAll(b, 'f.txt')).toBe('deep');
    expect(thrown(() => b.openAt(follow, '../b/f.txt', {}, READ))).toBe('not-permitted');
    expect(thrown(() => b.symlinkAt('../b/f.txt', 'up'))).toBe('not-permitted');
    expect(
      thrown(() => w().openAt(follow, 'dir-link', { directory: true }, READ).openAt(follow, '..', {}, READ)),
    ).toBe('not-permitted');
    const names: string[] = [];
    const before = openFdCount();
    const entries = b.readDirectory();
    for (let entry = entries.readDirectoryEntry(); entry; entry = entries.readDirectoryEntry())
      names.push(entry.name);
    // A listing read to its end has let go of its directory, dropped or not (JS guests never drop it).
    expect(openFdCount()).toBeLessThanOrEqual(before);
    expect(entries.readDirectoryEntry()).toBeUndefined();
    entries[Symbol.dispose]();
    expect(names).toEqual(['f.txt']);
    b[Symbol.dispose]();
  });

  it('opens `.` as the directory itself, and refuses to create it exclusively', () => {
    expect(w().openAt({}, '.', { directory: true }, READ).getType()).toBe('directory');
    expect(w().openAt({}, 'a/..', {}, READ).stat().type).toBe('directory');
    expect(thrown(() => w().openAt({}, '.', { create: true, exclusive: true }, WRITE))).toBe('exist');
  });

  it('writes, appends, truncates and stats through descriptors it opened', () => {
    writeAll(w(), 'a/log.txt', 'one');
    const file = w().openAt({}, 'a/log.txt', {}, WRITE);
    const append = file.appendViaStream();
    append.blockingWriteAndFlush(encoder.encode(',two'));
    append[Symbol.dispose]();
    expect(file.write(encoder.encode('ONE'), 0n)).toBe(3n);
    file[Symbol.dispose]();
    expect(readFileSync(join(dir, 'a', 'log.txt'), 'utf8')).toBe('ONE,two');
    expect(w().statAt({}, 'a/log.txt')).toMatchObject({ type: 'regular-file', size: 7n });
    const stamp = { tag: 'timestamp', val: { seconds: 1_000_000n, nanoseconds: 0 } };
    w().setTimesAt({}, 'a/log.txt', stamp, stamp);
    expect(
      (w().statAt({}, 'a/log.txt') as unknown as { dataModificationTimestamp: { seconds: bigint } })
        .dataModificationTimestamp.seconds,
    ).toBe(1_000_000n);
  });

  it('keeps a stream readable after its descriptor is dropped, and closes the file with the stream', () => {
    const before = openFdCount();
    const file = w().openAt(follow, 'chain-4', {}, READ);
    const stream = file.readViaStream(0n);
    file[Symbol.dispose]();
    expect(decoder.decode(stream.blockingRead(100n))).toBe('deep');
    stream[Symbol.dispose]();
    expect(openFdCount()).toBeLessThanOrEqual(before);
  });

  it('closes every directory it held on the way, whether the path resolved or was refused', () => {
    const before = openFdCount();
    for (let i = 0; i < 50; i++) {
      thrown(() => w().openAt(follow, 'a/b/../../../outside', {}, READ));
      thrown(() => w().openAt(follow, 'dir-link/loop', {}, READ));
      thrown(() => w().openAt(follow, 'a/b/loop-1', {}, READ));
      thrown(() => w().openAt(follow, 'loop-1', {}, READ));
      w().statAt(follow, 'dir-link/f.txt');
    }
    expect(openFdCount()).toBeLessThanOrEqual(before);
  });
});

describe('stdio', () => {
  type Stdout = { getStdout(): OutputStream };
  type Stderr = { getStderr(): OutputStream };

  it('captures stdout and stderr per take, and resets', () => {
    const sandbox = createSandbox({}, []);
    const out = iface<Stdout>(sandbox, 'wasi:cli/stdout').getStdout();
    const err = iface<Stderr>(sandbox, 'wasi:cli/stderr').getStderr();
    expect(out).toBeInstanceOf(io.streams.OutputStream);
    expect(out.checkWrite()).toBeGreaterThan(0n);
    out.blockingWriteAndFlush(encoder.encode('hello '));
    out.write(encoder.encode('world\n'));
    err.blockingWriteAndFlush(encoder.encode('oops\n'));
    expect(sandbox.takeOutput()).toEqual({ stdout: 'hello world\n', stderr: 'oops\n', truncated: false });
    expect(sandbox.takeOutput()).toEqual({ stdout: '', stderr: '', truncated: false });
    // A handle taken before still writes to the same sandbox after a take.
    out.write(encoder.encode('again'));
    expect(sandbox.takeOutput().stdout).toBe('again');
  });

  it('keeps each sandbox output apart', () => {
    const a = createSandbox({}, []);
    const b = createSandbox({}, []);
    iface<Stdout>(a, 'wasi:cli/stdout').getStdout().write(encoder.encode('from a'));
    iface<Stdout>(b, 'wasi:cli/stdout').getStdout().write(encoder.encode('from b'));
    expect(a.takeOutput().stdout).toBe('from a');
    expect(b.takeOutput().stdout).toBe('from b');
  });

  it('keeps at most outputLimit bytes of each stream and marks the rest truncated', () => {
    const sandbox = createSandbox({ outputLimit: 8 }, []);
    const out = iface<Stdout>(sandbox, 'wasi:cli/stdout').getStdout();
    out.write(encoder.encode('12345'));
    out.write(encoder.encode('67890'));
    expect(sandbox.takeOutput()).toEqual({ stdout: '12345678', stderr: '', truncated: true });
    out.write(encoder.encode('ok'));
    expect(sandbox.takeOutput()).toEqual({ stdout: 'ok', stderr: '', truncated: false });
  });

  it('defaults to 64 KiB per stream', () => {
    const sandbox = createSandbox({}, []);
    const err = iface<Stderr>(sandbox, 'wasi:cli/stderr').getStderr();
    err.write(new Uint8Array(64 * 1024).fill(0x61));
    expect(sandbox.takeOutput().truncated).toBe(false);
    err.write(new Uint8Array(64 * 1024 + 1).fill(0x61));
    const output = sandbox.takeOutput();
    expect(output.truncated).toBe(true);
    expect(output.stderr.length).toBe(64 * 1024);
  });

  it('never writes guest output to the process stdout', () => {
    const child = fileURLToPath(new URL('./sandbox.child.ts', import.meta.url));
    const result = spawnSync(process.execPath, ['--import', 'tsx', child], {
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(result.status, result.stderr).toBe(0);
    expect(result.stdout).toBe('');
    const report = JSON.parse(result.stderr.trim().split('\n').at(-1) ?? '{}');
    expect(report.direct).toEqual({
      stdout: 'guest says hello on stdout\n',
      stderr: 'guest says hello on stderr\n',
      truncated: false,
    });
  });

  it('serves stdin from spec.stdin, then reports the stream closed', () => {
    const sandbox = createSandbox({ stdin: encoder.encode('line one\n') }, []);
    const stdin = iface<{ getStdin(): InputStream }>(sandbox, 'wasi:cli/stdin').getStdin();
    expect(stdin).toBeInstanceOf(io.streams.InputStream);
    expect(decoder.decode(stdin.blockingRead(5n))).toBe('line ');
    expect(decoder.decode(stdin.blockingRead(100n))).toBe('one\n');
    expect(thrown(() => stdin.blockingRead(1n))).toEqual({ tag: 'closed' });
    const empty = iface<{ getStdin(): InputStream }>(createSandbox({}, []), 'wasi:cli/stdin').getStdin();
    expect(thrown(() => empty.blockingRead(1n))).toEqual({ tag: 'closed' });
  });
});

describe('exit', () => {
  it('throws GuestExit with the code instead of ending the process', () => {
    const exit = iface<{ exit(s: { tag: string }): void; exitWithCode(c: number): void }>(
      createSandbox({}, []),
      'wasi:cli/exit',
    );
    const ok = thrown(() => exit.exit({ tag: 'ok' }));
    expect(ok).toBeInstanceOf(GuestExit);
    expect((ok as GuestExit).exitCode).toBe(0);
    expect((thrown(() => exit.exit({ tag: 'err' })) as GuestExit).exitCode).toBe(1);
    expect((thrown(() => exit.exitWithCode(42)) as GuestExit).exitCode).toBe(42);
  });
});

describe('network', () => {
  it('denies DNS lookups and TCP/UDP sockets', () => {
    const sandbox = createSandbox({ allowedHosts: ['127.0.0.1'] }, []);
    const network = iface<{ instanceNetwork(): unknown }>(
      sandbox,
      'wasi:sockets/instance-network',
    ).instanceNetwork();
    const lookup = iface<{ resolveAddresses(n: unknown, name: string): unknown }>(
      sandbox,
      'wasi:sockets/ip-name-lookup',
    );
    expect(thrown(() => lookup.resolveAddresses(network, 'localhost'))).toBe('access-denied');
    const tcp = iface<{ createTcpSocket(f: string): { startConnect(n: unknown, a: unknown): void } }>(
      sandbox,
      'wasi:sockets/tcp-create-socket',
    ).createTcpSocket('ipv4');
    const address = { tag: 'ipv4', val: { port: 9, address: [127, 0, 0, 1] } };
    expect(thrown(() => tcp.startConnect(network, address))).toBe('access-denied');
    const udp = iface<{ createUdpSocket(f: string): { startBind(n: unknown, a: unknown): void } }>(
      sandbox,
      'wasi:sockets/udp-create-socket',
    ).createUdpSocket('ipv4');
    expect(
      thrown(() => udp.startBind(network, { tag: 'ipv4', val: { port: 0, address: [127, 0, 0, 1] } })),
    ).toBe('access-denied');
  });

  it('matches allowed hosts by host, and by port when the entry has one', () => {
    expect(isHostAllowed('api.example.com', ['api.example.com'])).toBe(true);
    expect(isHostAllowed('API.example.com:443', ['api.example.com'])).toBe(true);
    expect(isHostAllowed('127.0.0.1:8080', ['127.0.0.1:8080'])).toBe(true);
    expect(isHostAllowed('127.0.0.1:8081', ['127.0.0.1:8080'])).toBe(false);
    expect(isHostAllowed('127.0.0.1', ['127.0.0.1:8080'])).toBe(false);
    expect(isHostAllowed('evil.example.com', ['api.example.com'])).toBe(false);
    expect(isHostAllowed('api.example.com.evil.com', ['api.example.com'])).toBe(false);
    expect(isHostAllowed(undefined, ['api.example.com'])).toBe(false);
    expect(isHostAllowed('api.example.com', [])).toBe(false);
  });

  it('denies an HTTP request to a host that is not allowed, and lets an allowed one through', async () => {
    const requests: string[] = [];
    const server = createServer((req, res) => {
      requests.push(`${req.method} ${req.headers.host}${req.url}`);
      res.end('pong');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    try {
      const sandbox = createSandbox({ allowedHosts: [`127.0.0.1:${port}`] }, []);
      type Req = {
        setAuthority(a: string): void;
        setPathWithQuery(p: string): void;
        setScheme(s: object): void;
      };
      const types = iface<{
        Fields: new () => object;
        OutgoingRequest: new (f: object) => Req;
        FutureIncomingResponse: new () => object;
      }>(sandbox, 'wasi:http/types');
      const handler = iface<{ handle(r: Req, o?: unknown): unknown }>(sandbox, 'wasi:http/outgoing-handler');
      const request = (authority: string) => {
        const r = new types.OutgoingRequest(new types.Fields());
        r.setScheme({ tag: 'HTTP' });
        r.setAuthority(authority);
        r.setPathWithQuery('/ping');
        return r;
      };
      expect(thrown(() => handler.handle(request(`127.0.0.1:${port + 1}`)))).toEqual({
        tag: 'HTTP-request-denied',
      });
      expect(thrown(() => handler.handle(request('localhost')))).toEqual({ tag: 'HTTP-request-denied' });
      expect(thrown(() => handler.handle(request('localhost')))).toEqual({ tag: 'HTTP-request-denied' });
      expect(requests).toEqual([]);
      // Each refused authority recorded once, by the host; none of it in the guest's output.
      expect(sandbox.takeDenials()).toEqual([
        { kind: 'network', scheme: 'http', authority: `127.0.0.1:${port + 1}` },
        { kind: 'network', scheme: 'http', authority: 'localhost' },
      ]);
      expect(sandbox.takeOutput().stderr).toBe('');
      const future = handler.handle(request(`127.0.0.1:${port}`));
      expect(future).toBeInstanceOf(types.FutureIncomingResponse);
      for (let i = 0; i < 100 && requests.length === 0; i++) await new Promise((r) => setTimeout(r, 20));
      expect(requests).toEqual([`GET 127.0.0.1:${port}/ping`]);
    } finally {
      server.close();
    }
  });
});

describe('imports that are not provided', () => {
  it('are stubs that satisfy the glue and throw MissingImportError when called', () => {
    const sandbox = createSandbox({}, ['local:host/logger@1.0.0', 'wasi:keyvalue/store@0.2.0-draft']);
    const logger = iface<Record<string, unknown>>(sandbox, 'local:host/logger@1.0.0');
    expect(sandbox.imports['local:host/logger']).toBe(logger);
    // What the glue does at instantiation: destructure members and check they are not undefined.
    const { log, getCurrentTime, Thing } = logger as {
      log: () => void;
      getCurrentTime: () => void;
      Thing: (new () => object) & { make(): void };
    };
    expect(typeof log).toBe('function');
    expect(typeof Thing).toBe('function');
    const error = thrown(() => log());
    expect(error).toBeInstanceOf(MissingImportError);
    expect(error).toMatchObject({ importName: 'local:host/logger@1.0.0', func: 'log' });
    expect(thrown(() => getCurrentTime())).toMatchObject({ func: 'get-current-time' });
    expect(thrown(() => new Thing())).toMatchObject({ func: '[constructor]thing' });
    expect(thrown(() => Thing.make())).toMatchObject({ func: '[static]thing.make' });
    expect({} instanceof Thing).toBe(false);
    expect((logger as { then?: unknown }).then).toBeUndefined();
    // A WASI interface wasmactor does not implement is stubbed the same way.
    const store = iface<{ open: () => void }>(sandbox, 'wasi:keyvalue/store@0.2.0-draft');
    expect(thrown(() => store.open())).toMatchObject({ importName: 'wasi:keyvalue/store@0.2.0-draft' });
  });
});

describe('dispose', () => {
  it('closes every descriptor and stream the guest left open', () => {
    const sandbox = createSandbox({ preopens: [RO, RW] }, []);
    const ro = preopen(sandbox, '/ro');
    const rw = preopen(sandbox, '/rw');
    const before = openFdCount();
    const opened: Descriptor[] = [];
    for (let i = 0; i < 10; i++) {
      const file = ro.openAt({}, 'data.txt', {}, READ);
      file.readViaStream(0n);
      opened.push(file);
      opened.push(rw.openAt({}, 'sub', { directory: true }, READ));
    }
    ro.readDirectory();
    expect(openFdCount()).toBeGreaterThanOrEqual(before + 20);
    sandbox.dispose();
    expect(openFdCount()).toBeLessThanOrEqual(before);
    expect(thrown(() => opened[0]?.readViaStream(0n))).toBe('bad-descriptor');
    expect(thrown(() => ro.openAt({}, 'data.txt', {}, READ))).toBe('bad-descriptor');
  });

  it('forgets what the guest dropped itself', () => {
    const sandbox = createSandbox({ preopens: [RO] }, []);
    const ro = preopen(sandbox, '/ro');
    const before = openFdCount();
    for (let i = 0; i < 20; i++) {
      const file = ro.openAt({}, 'data.txt', {}, READ);
      file.readViaStream(0n)[Symbol.dispose]();
      file[Symbol.dispose]();
    }
    expect(openFdCount()).toBeLessThanOrEqual(before);
    // Dropping a preopen handle does not close the preopen.
    ro[Symbol.dispose]();
    expect(readAll(ro, 'data.txt')).toBe('read-only data');
    sandbox.dispose();
  });
});

describe('inside a worker thread', () => {
  it('works as on the main thread (the shim starts its own I/O worker there)', async () => {
    const { Worker } = await import('node:worker_threads');
    const rounds = 200;
    const run = () =>
      new Promise<{
        text: string;
        refused: unknown;
        firstMs: number;
        perReadMs: number;
        output: unknown;
        denials: unknown;
      }>((resolve, reject) => {
        const worker = new Worker(new URL('./sandbox.worker.boot.mjs', import.meta.url), {
          workerData: { hostPath: roDir, rounds },
        });
        worker.once('message', (message) => {
          resolve(message);
          void worker.terminate();
        });
        worker.once('error', reject);
      });
    const report = await run();
    expect(report.text).toBe('read-only data');
    expect(report.refused).toBe('read-only');
    expect(report.output).toEqual({
      stdout: 'from the worker',
      stderr: '',
      truncated: false,
    });
    expect(report.denials).toEqual([{ kind: 'read-only', uri: `fs://${roDir}` }]);
    // The same open + read + close on this thread, for the report's comparison.
    const sandbox = createSandbox({ preopens: [RO] }, []);
    const ro = preopen(sandbox, '/ro');
    const start = performance.now();
    for (let i = 0; i < rounds; i++) {
      const file = ro.openAt({}, 'data.txt', {}, READ);
      file.read(100n, 0n);
      file[Symbol.dispose]();
    }
    const mainPerReadMs = (performance.now() - start) / rounds;
    process.stderr.write(
      `[sandbox] in a worker: first file read ${report.firstMs.toFixed(1)} ms after import, ` +
        `open+read+close ${report.perReadMs.toFixed(3)} ms (main thread ${mainPerReadMs.toFixed(3)} ms)\n`,
    );
  }, 60_000);
});
