/**
 * `wasi:filesystem` for one sandbox: descriptors over the granted directories, wrapped so that a
 * read-only preopen (and everything opened under it) refuses every mutation with the WASI error
 * `read-only`, and so that everything the guest opens is tracked and closed when the sandbox is disposed.
 *
 * The glue checks `instanceof Descriptor` against the class it gets from `wasi:filesystem/types`, which
 * is ours (`SandboxDescriptor`), so every descriptor handed to the guest is a wrapper. Underneath is our
 * own `HostDescriptor` (hostDescriptor.ts), not preview2-shim's `Descriptor`: the shim checks a path
 * (lstat/readlink from the preopen's realpath) and then opens the path string, and a symlink flipped in
 * between, by a second call of the guest or by the host, led outside every grant. `HostDescriptor`
 * resolves paths one component at a time holding directory descriptors, through Linux's
 * `/proc/self/fd/N/name` with `O_NOFOLLOW` (pathWalk.ts): no `..` above the descriptor, no absolute path,
 * no symlink whose resolution leaves it, at most 40 links per path, and no symlink created whose target
 * would leave it. test/runtime/sandbox.test.ts pins the rules, test/adversarial/fsRace.test.ts the races.
 */
import { filesystem } from '@bytecodealliance/preview2-shim';
import type { Preopen } from '../types.ts';
import {
  type DescriptorFlags,
  HostDescriptor,
  type NewTimestamp,
  type OpenFlags,
  type PathFlags,
} from './hostDescriptor.ts';
import { assertProcFd } from './pathWalk.ts';
import type { ResourceTracker } from './resources.ts';
import { symbolDispose } from './resources.ts';

const READ_ONLY = 'read-only';

/** Called when the guest tries to change something under a read-only preopen (`hostPath` of the preopen). */
export type ReadOnlyListener = (hostPath: string) => void;

/** A guest's view of one directory or file; the class the glue sees as `Descriptor`. */
export class SandboxDescriptor {
  readonly #inner: HostDescriptor;
  readonly #readOnly: boolean;
  readonly #tracker: ResourceTracker;
  /** Preopens belong to the sandbox: dropping one of the guest's handles to them closes nothing. */
  readonly #isPreopen: boolean;
  /** Reports a refused mutation, so the tool error can name the grant that would allow it. */
  readonly #onReadOnly: () => void;

  /** @internal Created by `createSandboxFilesystem` and `openAt` only. */
  constructor(
    inner: HostDescriptor,
    readOnly: boolean,
    tracker: ResourceTracker,
    isPreopen: boolean,
    onReadOnly: () => void = () => {},
  ) {
    this.#inner = inner;
    this.#readOnly = readOnly;
    this.#tracker = tracker;
    this.#isPreopen = isPreopen;
    this.#onReadOnly = onReadOnly;
  }

  /** True when this descriptor lies under a read-only preopen. */
  get readOnly(): boolean {
    return this.#readOnly;
  }

  #mutable(): HostDescriptor {
    if (this.#tracker.closed) throw 'bad-descriptor';
    if (this.#readOnly) {
      this.#onReadOnly();
      throw READ_ONLY;
    }
    return this.#inner;
  }

  #live(): HostDescriptor {
    if (this.#tracker.closed) throw 'bad-descriptor';
    return this.#inner;
  }

  static #unwrap(other: unknown): SandboxDescriptor {
    if (!(other instanceof SandboxDescriptor)) throw 'bad-descriptor';
    return other;
  }

  readViaStream(offset: bigint): object {
    return this.#tracker.track(this.#live().readViaStream(offset));
  }
  writeViaStream(offset: bigint): object {
    return this.#tracker.track(this.#mutable().writeViaStream(offset));
  }
  appendViaStream(): object {
    return this.#tracker.track(this.#mutable().appendViaStream());
  }
  advise(offset: bigint, length: bigint, advice: string): void {
    this.#live().advise(offset, length, advice);
  }
  syncData(): void {
    this.#live().syncData();
  }
  getFlags(): DescriptorFlags {
    const flags = this.#live().getFlags();
    // A preopen has no flags of its own.
    if (flags === undefined) return { read: true, mutateDirectory: !this.#readOnly };
    return this.#readOnly ? { ...flags, write: false, mutateDirectory: false } : flags;
  }
  getType(): string {
    return this.#live().getType();
  }
  setSize(size: bigint): void {
    this.#mutable().setSize(size);
  }
  setTimes(atime: NewTimestamp, mtime: NewTimestamp): void {
    this.#mutable().setTimes(atime, mtime);
  }
  read(length: bigint, offset: bigint): [Uint8Array, boolean] {
    return this.#live().read(length, offset);
  }
  write(buffer: Uint8Array, offset: bigint): bigint {
    return this.#mutable().write(buffer, offset);
  }
  readDirectory(): object {
    return this.#tracker.track(this.#live().readDirectory());
  }
  sync(): void {
    this.#live().sync();
  }
  createDirectoryAt(path: string): void {
    this.#mutable().createDirectoryAt(path);
  }
  stat(): unknown {
    return this.#live().stat();
  }
  statAt(pathFlags: PathFlags, path: string): unknown {
    return this.#live().statAt(pathFlags, path);
  }
  setTimesAt(pathFlags: PathFlags, path: string, atime: NewTimestamp, mtime: NewTimestamp): void {
    this.#mutable().setTimesAt(pathFlags, path, atime, mtime);
  }
  linkAt(oldPathFlags: PathFlags, oldPath: string, newDescriptor: unknown, newPath: string): void {
    const target = SandboxDescriptor.#unwrap(newDescriptor);
    // A hard link out of a read-only tree would make its file writable through the other preopen.
    const source = this.#mutable();
    source.linkAt(oldPathFlags, oldPath, target.#mutable(), newPath);
  }
  openAt(
    pathFlags: PathFlags,
    path: string,
    openFlags: OpenFlags,
    flags: DescriptorFlags,
  ): SandboxDescriptor {
    const inner = this.#live();
    const wantsMutation =
      openFlags.create ||
      openFlags.truncate ||
      flags.write ||
      flags.mutateDirectory ||
      flags.requestedWriteSync;
    if (this.#readOnly && wantsMutation) {
      this.#onReadOnly();
      throw READ_ONLY;
    }
    // `mutate-directory` is the preopen's permission, checked above; the host descriptor needs no flag.
    const shimFlags = flags.mutateDirectory ? { ...flags, mutateDirectory: false } : flags;
    const opened = inner.openAt(pathFlags, path, openFlags, shimFlags);
    const descriptor = new SandboxDescriptor(opened, this.#readOnly, this.#tracker, false, this.#onReadOnly);
    this.#tracker.add(descriptor);
    return descriptor;
  }
  readlinkAt(path: string): string {
    return this.#live().readlinkAt(path);
  }
  removeDirectoryAt(path: string): void {
    this.#mutable().removeDirectoryAt(path);
  }
  renameAt(oldPath: string, newDescriptor: unknown, newPath: string): void {
    const target = SandboxDescriptor.#unwrap(newDescriptor);
    this.#mutable().renameAt(oldPath, target.#mutable(), newPath);
  }
  symlinkAt(oldPath: string, newPath: string): void {
    this.#mutable().symlinkAt(oldPath, newPath);
  }
  unlinkFileAt(path: string): void {
    this.#mutable().unlinkFileAt(path);
  }
  isSameObject(other: unknown): boolean {
    return other instanceof SandboxDescriptor && other.#inner === this.#inner;
  }
  metadataHash(): unknown {
    return this.#live().metadataHash();
  }
  metadataHashAt(pathFlags: PathFlags, path: string): unknown {
    return this.#live().metadataHashAt(pathFlags, path);
  }
  [symbolDispose](): void {
    if (this.#isPreopen) return;
    this.#tracker.forget(this);
    this.#inner[symbolDispose]();
  }
}

/** The `wasi:filesystem/types` and `wasi:filesystem/preopens` imports of one sandbox. */
export interface SandboxFilesystem {
  types: Record<string, unknown>;
  preopens: { getDirectories(): [SandboxDescriptor, string][] };
}

/** Builds the filesystem imports that expose exactly `preopens` and nothing else of the host. */
export function createSandboxFilesystem(
  preopens: Preopen[],
  tracker: ResourceTracker,
  onReadOnly?: ReadOnlyListener,
): SandboxFilesystem {
  if (preopens.length > 0) assertProcFd();
  const directories: [SandboxDescriptor, string][] = preopens.map((preopen) => {
    const refused = () => onReadOnly?.(preopen.hostPath);
    const root = HostDescriptor.preopen(preopen.hostPath);
    return [new SandboxDescriptor(root, preopen.readOnly, tracker, true, refused), preopen.guestPath];
  });
  return {
    types: { ...filesystem.types, Descriptor: SandboxDescriptor },
    preopens: { getDirectories: () => [...directories] },
  };
}
