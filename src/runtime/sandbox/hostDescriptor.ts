/**
 * One `wasi:filesystem` descriptor on the host, in place of preview2-shim's `Descriptor`, whose
 * `openAt` checks a path with `lstat`/`realpath` and then opens the path string (check-then-use: a
 * symlink swapped in between leads anywhere). Every path operation here goes through `walk`
 * (pathWalk.ts): it acts on one entry of a directory held by descriptor, never follows a symlink
 * through the kernel, and cannot leave this descriptor. Symlinks the guest makes must stay below the
 * descriptor too (relative targets are resolved from the link's directory).
 *
 * A preopen holds no descriptor between calls: each operation opens the granted host path afresh (a
 * path the host chose, so following its symlinks is fine) and closes it after, so a granted directory
 * that the host replaces is seen as it is now.
 */
import {
  type BigIntStats,
  closeSync,
  constants,
  fdatasyncSync,
  fstatSync,
  fsyncSync,
  ftruncateSync,
  linkSync,
  lstatSync,
  lutimesSync,
  mkdirSync,
  opendirSync,
  openSync,
  readlinkSync,
  readSync,
  renameSync,
  rmdirSync,
  statSync,
  symlinkSync,
  unlinkSync,
  utimesSync,
  writeSync,
} from 'node:fs';
import { DirectoryEntries, FileInputStream, FileOutputStream, SharedFd, typeName } from './fileStreams.ts';
import { fsErrorCode } from './fsErrors.ts';
import { at, FOLLOW, O_PATH, type Step, targetStaysInside, walk } from './pathWalk.ts';

export type PathFlags = { symlinkFollow?: boolean };
export type OpenFlags = { create?: boolean; directory?: boolean; exclusive?: boolean; truncate?: boolean };
export type DescriptorFlags = {
  read?: boolean;
  write?: boolean;
  fileIntegritySync?: boolean;
  dataIntegritySync?: boolean;
  requestedWriteSync?: boolean;
  mutateDirectory?: boolean;
};
export type NewTimestamp = { tag: string; val?: { seconds: bigint; nanoseconds: number } };
type Datetime = { seconds: bigint; nanoseconds: number };
/** `descriptor-stat` of WASI. */
export type DescriptorStat = {
  type: string;
  linkCount: bigint;
  size: bigint;
  dataAccessTimestamp: Datetime;
  dataModificationTimestamp: Datetime;
  statusChangeTimestamp: Datetime;
};

const NS = 1_000_000_000n;

function datetime(ns: bigint): Datetime {
  return { seconds: ns / NS, nanoseconds: Number(ns % NS) };
}

function toStat(stats: BigIntStats): DescriptorStat {
  return {
    type: typeName(stats),
    linkCount: stats.nlink,
    size: stats.size,
    dataAccessTimestamp: datetime(stats.atimeNs),
    dataModificationTimestamp: datetime(stats.mtimeNs),
    statusChangeTimestamp: datetime(stats.ctimeNs),
  };
}

/** A WASI `new-timestamp` as the seconds Node's `utimes` family takes. */
function seconds(stamp: NewTimestamp, current: bigint): number {
  if (stamp.tag === 'no-change') return Number(current) / 1e9;
  if (stamp.tag === 'timestamp' && stamp.val) return Number(stamp.val.seconds) + stamp.val.nanoseconds / 1e9;
  return Date.now() / 1000;
}

/** Runs `fn`, turning Node errors into WASI error codes. */
function fs<T>(fn: () => T): T {
  try {
    return fn();
  } catch (error) {
    throw fsErrorCode(error);
  }
}

/** The `open(2)` flags of a WASI `open-at`, always without following a final symlink. */
function openFlagsOf(openFlags: OpenFlags, flags: DescriptorFlags): number {
  let mode = constants.O_RDONLY;
  if (flags.read && flags.write) mode = constants.O_RDWR;
  else if (flags.write) mode = constants.O_WRONLY;
  if (openFlags.create) mode |= constants.O_CREAT;
  if (openFlags.directory) mode |= constants.O_DIRECTORY;
  if (openFlags.exclusive) mode |= constants.O_EXCL;
  if (openFlags.truncate) mode |= constants.O_TRUNC;
  return mode | constants.O_NOFOLLOW;
}

/** A descriptor of a host file or directory, opened by the sandbox (see the module header). */
export class HostDescriptor {
  /** The open file; undefined for a preopen. */
  readonly #file: SharedFd | undefined;
  /** The granted host directory, for a preopen. */
  readonly #hostPath: string | undefined;
  readonly #flags: DescriptorFlags | undefined;

  private constructor(file: SharedFd | undefined, hostPath: string | undefined, flags?: DescriptorFlags) {
    this.#file = file;
    this.#hostPath = hostPath;
    this.#flags = flags;
  }

  /** The descriptor of a granted directory. */
  static preopen(hostPath: string): HostDescriptor {
    return new HostDescriptor(undefined, hostPath);
  }

  /** True for a preopen: it has no flags of its own and nothing to close. */
  get isPreopen(): boolean {
    return this.#file === undefined;
  }

  #fd(): number {
    if (!this.#file?.open) throw 'bad-descriptor';
    return this.#file.fd;
  }

  /** Runs `use` with a descriptor of this directory (for a preopen, one opened for this operation). */
  #withDirectory<T>(use: (fd: number) => T): T {
    if (this.#hostPath === undefined) return use(this.#fd());
    const fd = fs(() => openSync(this.#hostPath as string, O_PATH | constants.O_DIRECTORY));
    try {
      return use(fd);
    } finally {
      fs(() => closeSync(fd));
    }
  }

  #walk<T>(path: string, followFinal: boolean, act: (step: Step) => T): T {
    return this.#withDirectory((base) => walk(base, path, followFinal, act));
  }

  /** `lstat` of a step; when `follow` is set, a symlink is left to the walk to follow. */
  static #lstat(step: Step, follow: boolean): BigIntStats {
    if (step.name === undefined) return statSync(at(step.dirFd), { bigint: true });
    const stats = lstatSync(at(step.dirFd, step.name), { bigint: true });
    if (follow && stats.isSymbolicLink()) throw FOLLOW;
    return stats;
  }

  #fileFd(): number {
    if (this.isPreopen) throw 'is-directory';
    return this.#fd();
  }

  readViaStream(offset: bigint): FileInputStream {
    this.#fileFd();
    return new FileInputStream(this.#file as SharedFd, offset);
  }
  writeViaStream(offset: bigint): FileOutputStream {
    this.#fileFd();
    return new FileOutputStream(this.#file as SharedFd, offset);
  }
  appendViaStream(): FileOutputStream {
    this.#fileFd();
    return new FileOutputStream(this.#file as SharedFd, 'append');
  }
  advise(_offset: bigint, _length: bigint, _advice: string): void {
    // Advice is a hint; Node has no posix_fadvise. A directory is refused, as WASI says.
    if (this.getType() === 'directory') throw 'bad-descriptor';
  }
  syncData(): void {
    if (this.isPreopen) throw 'invalid';
    const fd = this.#fd();
    try {
      fdatasyncSync(fd);
    } catch (error) {
      if ((error as { code?: string }).code !== 'EPERM') throw fsErrorCode(error);
    }
  }
  sync(): void {
    if (this.isPreopen) throw 'invalid';
    const fd = this.#fd();
    try {
      fsyncSync(fd);
    } catch (error) {
      if ((error as { code?: string }).code !== 'EPERM') throw fsErrorCode(error);
    }
  }
  getFlags(): DescriptorFlags | undefined {
    return this.#flags;
  }
  getType(): string {
    if (this.isPreopen) return 'directory';
    const fd = this.#fd();
    return fs(() => typeName(fstatSync(fd)));
  }
  setSize(size: bigint): void {
    const fd = this.#fileFd();
    fs(() => ftruncateSync(fd, Number(size)));
  }
  setTimes(atime: NewTimestamp, mtime: NewTimestamp): void {
    if (this.isPreopen) throw 'invalid';
    const fd = this.#fd();
    fs(() => {
      const now = fstatSync(fd, { bigint: true });
      // Through the magic link, so that a directory opened for lookups only can be touched too.
      utimesSync(at(fd), seconds(atime, now.atimeNs), seconds(mtime, now.mtimeNs));
    });
  }
  read(length: bigint, offset: bigint): [Uint8Array, boolean] {
    if (this.isPreopen) throw 'bad-descriptor';
    const fd = this.#fd();
    const buffer = new Uint8Array(Number(length));
    const count = fs(() => readSync(fd, buffer, 0, buffer.byteLength, Number(offset)));
    return [buffer.subarray(0, count), count === 0];
  }
  write(buffer: Uint8Array, offset: bigint): bigint {
    if (this.isPreopen) throw 'bad-descriptor';
    const fd = this.#fd();
    return BigInt(fs(() => writeSync(fd, buffer, 0, buffer.byteLength, Number(offset))));
  }
  readDirectory(): DirectoryEntries {
    return this.#withDirectory((fd) => new DirectoryEntries(fs(() => opendirSync(at(fd)))));
  }
  stat(): DescriptorStat {
    return this.#withDirectory((fd) => fs(() => toStat(fstatSync(fd, { bigint: true }))));
  }
  createDirectoryAt(path: string): void {
    this.#walk(path, false, (step) => {
      if (step.name === undefined) throw 'exist';
      mkdirSync(at(step.dirFd, step.name));
    });
  }
  statAt(pathFlags: PathFlags, path: string): DescriptorStat {
    const follow = pathFlags.symlinkFollow === true;
    return this.#walk(path, follow, (step) => toStat(HostDescriptor.#lstat(step, follow)));
  }
  setTimesAt(pathFlags: PathFlags, path: string, atime: NewTimestamp, mtime: NewTimestamp): void {
    const follow = pathFlags.symlinkFollow === true;
    this.#walk(path, follow, (step) => {
      const now = HostDescriptor.#lstat(step, follow);
      const times = [seconds(atime, now.atimeNs), seconds(mtime, now.mtimeNs)] as const;
      if (step.name === undefined) utimesSync(at(step.dirFd), ...times);
      else lutimesSync(at(step.dirFd, step.name), ...times);
    });
  }
  linkAt(oldPathFlags: PathFlags, oldPath: string, newDescriptor: HostDescriptor, newPath: string): void {
    const follow = oldPathFlags.symlinkFollow === true;
    this.#walk(oldPath, follow, (from) => {
      if (from.name === undefined) throw 'not-permitted';
      HostDescriptor.#lstat(from, follow);
      newDescriptor.#walk(newPath, false, (to) => {
        if (to.name === undefined) throw 'exist';
        // link(2) does not follow `from`: a symlink swapped in since is linked as the symlink itself.
        linkSync(at(from.dirFd, from.name as string), at(to.dirFd, to.name));
      });
    });
  }
  openAt(pathFlags: PathFlags, path: string, openFlags: OpenFlags, flags: DescriptorFlags): HostDescriptor {
    if (flags.requestedWriteSync || flags.mutateDirectory) throw 'unsupported';
    if (flags.fileIntegritySync || flags.dataIntegritySync) throw 'unsupported';
    const exclusiveCreate = openFlags.create === true && openFlags.exclusive === true;
    const follow = pathFlags.symlinkFollow === true && !exclusiveCreate;
    const mode = openFlagsOf(openFlags, flags);
    const fd = this.#walk(path, follow, (step) => {
      if (step.name === undefined) {
        if (exclusiveCreate) throw 'exist';
        // The directory the walk holds, reopened through its magic link with the guest's flags.
        return openSync(
          at(step.dirFd),
          (mode & ~constants.O_NOFOLLOW & ~constants.O_CREAT) | constants.O_DIRECTORY,
        );
      }
      return openSync(at(step.dirFd, step.name), step.trailingSlash ? mode | constants.O_DIRECTORY : mode);
    });
    const file = new SharedFd(fd);
    try {
      const type = fs(() => typeName(fstatSync(fd)));
      if (type === 'directory' && flags.write) throw 'is-directory';
      if (path.endsWith('/') && type !== 'directory') throw 'not-directory';
    } catch (error) {
      file.release();
      throw error;
    }
    return new HostDescriptor(file, undefined, flags);
  }
  readlinkAt(path: string): string {
    return this.#walk(path, false, (step) => {
      if (step.name === undefined) throw 'invalid';
      return readlinkSync(at(step.dirFd, step.name));
    });
  }
  removeDirectoryAt(path: string): void {
    this.#walk(path, false, (step) => {
      if (step.name === undefined) throw 'invalid';
      rmdirSync(at(step.dirFd, step.name));
    });
  }
  renameAt(oldPath: string, newDescriptor: HostDescriptor, newPath: string): void {
    this.#walk(oldPath, false, (from) => {
      if (from.name === undefined) throw 'invalid';
      newDescriptor.#walk(newPath, false, (to) => {
        if (to.name === undefined) throw 'invalid';
        renameSync(at(from.dirFd, from.name as string), at(to.dirFd, to.name));
      });
    });
  }
  symlinkAt(target: string, path: string): void {
    this.#walk(path, false, (step) => {
      if (step.name === undefined) throw 'exist';
      // A link whose target leaves this descriptor is refused, relative or absolute: following it would be
      // refused anyway, and nothing else (the host, another grant) should find a way out planted here.
      if (!targetStaysInside(target, step.depth)) throw 'not-permitted';
      symlinkSync(target, at(step.dirFd, step.name));
    });
  }
  unlinkFileAt(path: string): void {
    this.#walk(path, false, (step) => {
      if (step.name === undefined) throw 'is-directory';
      if (step.trailingSlash) {
        throw lstatSync(at(step.dirFd, step.name)).isDirectory() ? 'is-directory' : 'not-directory';
      }
      unlinkSync(at(step.dirFd, step.name));
    });
  }
  metadataHash(): { upper: bigint; lower: bigint } {
    return this.#withDirectory((fd) =>
      fs(() => {
        const stats = fstatSync(fd, { bigint: true });
        return { upper: stats.mtimeNs, lower: stats.ino };
      }),
    );
  }
  metadataHashAt(pathFlags: PathFlags, path: string): { upper: bigint; lower: bigint } {
    const follow = pathFlags.symlinkFollow === true;
    return this.#walk(path, follow, (step) => {
      const stats = HostDescriptor.#lstat(step, follow);
      return { upper: stats.mtimeNs, lower: stats.ino };
    });
  }
  [Symbol.dispose](): void {
    this.#file?.release();
  }
}
