/**
 * `wasi:filesystem` for one sandbox: the shim's isolated preopens, wrapped so that a read-only preopen
 * (and everything opened under it) refuses every mutation with the WASI error `read-only`, and so that
 * everything the guest opens is tracked and closed when the sandbox is disposed.
 *
 * The glue checks `instanceof Descriptor` against the class it gets from `wasi:filesystem/types`, which
 * is ours (`SandboxDescriptor`), so every descriptor handed to the guest is a wrapper. Path resolution
 * (no `..` above the preopen, no absolute paths, no symlink leading outside) is the shim's: it walks each
 * path segment with lstat/readlink from the preopen's realpath; test/runtime/sandbox.test.ts pins it.
 */
import { filesystem } from '@bytecodealliance/preview2-shim';
import type { Preopen } from '../types.ts';
import type { ResourceTracker } from './resources.ts';
import { symbolDispose } from './resources.ts';

type PathFlags = { symlinkFollow?: boolean };
type OpenFlags = { create?: boolean; directory?: boolean; exclusive?: boolean; truncate?: boolean };
type DescriptorFlags = {
  read?: boolean;
  write?: boolean;
  fileIntegritySync?: boolean;
  dataIntegritySync?: boolean;
  requestedWriteSync?: boolean;
  mutateDirectory?: boolean;
};
type NewTimestamp = { tag: string; val?: unknown };

/** The shim's node `Descriptor`, as far as we call it. */
interface ShimDescriptor {
  readViaStream(offset: bigint): object;
  writeViaStream(offset: bigint): object;
  appendViaStream(): object;
  advise(offset: bigint, length: bigint, advice: string): void;
  syncData(): void;
  getFlags(): DescriptorFlags | undefined;
  getType(): string;
  setSize(size: bigint): void;
  setTimes(atime: NewTimestamp, mtime: NewTimestamp): void;
  read(length: bigint, offset: bigint): [Uint8Array, boolean];
  write(buffer: Uint8Array, offset: bigint): bigint;
  readDirectory(): object;
  sync(): void;
  createDirectoryAt(path: string): void;
  stat(): unknown;
  statAt(pathFlags: PathFlags, path: string): unknown;
  setTimesAt(pathFlags: PathFlags, path: string, atime: NewTimestamp, mtime: NewTimestamp): void;
  linkAt(oldPathFlags: PathFlags, oldPath: string, newDescriptor: ShimDescriptor, newPath: string): void;
  openAt(pathFlags: PathFlags, path: string, openFlags: OpenFlags, flags: DescriptorFlags): ShimDescriptor;
  readlinkAt(path: string): string;
  removeDirectoryAt(path: string): void;
  renameAt(oldPath: string, newDescriptor: ShimDescriptor, newPath: string): void;
  symlinkAt(oldPath: string, newPath: string): void;
  unlinkFileAt(path: string): void;
  metadataHash(): unknown;
  metadataHashAt(pathFlags: PathFlags, path: string): unknown;
  [Symbol.dispose](): void;
}

const READ_ONLY = 'read-only';

/** Called when the guest tries to change something under a read-only preopen (`hostPath` of the preopen). */
export type ReadOnlyListener = (hostPath: string) => void;

/** The node build's `createFilesystem` (the package's types describe the browser build). */
const createShimFilesystem = filesystem.createFilesystem as unknown as (config: {
  preopens: Record<string, string>;
}) => { preopens: { getDirectories(): [ShimDescriptor, string][] } };

/** A guest's view of one directory or file; the class the glue sees as `Descriptor`. */
export class SandboxDescriptor {
  readonly #inner: ShimDescriptor;
  readonly #readOnly: boolean;
  readonly #tracker: ResourceTracker;
  /** Preopens belong to the sandbox: dropping one of the guest's handles to them closes nothing. */
  readonly #isPreopen: boolean;
  /** Reports a refused mutation, so the tool error can name the grant that would allow it. */
  readonly #onReadOnly: () => void;

  /** @internal Created by `createSandboxFilesystem` and `openAt` only. */
  constructor(
    inner: ShimDescriptor,
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

  #mutable(): ShimDescriptor {
    if (this.#tracker.closed) throw 'bad-descriptor';
    if (this.#readOnly) {
      this.#onReadOnly();
      throw READ_ONLY;
    }
    return this.#inner;
  }

  #live(): ShimDescriptor {
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
    // The shim has no flags for a preopen.
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
  /**
   * The shim cannot list or stat a preopen itself (it keeps no path for it and answers
   * `bad-descriptor`/`invalid`), so for a preopen these go through a short-lived descriptor of `.`.
   */
  #viaDot<T>(use: (dot: ShimDescriptor) => T): T {
    const inner = this.#live();
    if (!this.#isPreopen) return use(inner);
    const dot = inner.openAt({}, '.', { directory: true }, { read: true });
    try {
      return use(dot);
    } finally {
      dot[symbolDispose]();
    }
  }

  readDirectory(): object {
    return this.#tracker.track(this.#viaDot((dir) => dir.readDirectory()));
  }
  sync(): void {
    this.#live().sync();
  }
  createDirectoryAt(path: string): void {
    this.#mutable().createDirectoryAt(path);
  }
  stat(): unknown {
    return this.#viaDot((dir) => dir.stat());
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
    // The shim refuses `mutate-directory` outright; the permission is the preopen's, so drop the flag.
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
  const directories: [SandboxDescriptor, string][] = preopens.map((preopen) => {
    // One isolated shim filesystem per preopen, so two preopens may share a guest path without clashing.
    const shim = createShimFilesystem({ preopens: { [preopen.guestPath]: preopen.hostPath } });
    const [entry] = shim.preopens.getDirectories();
    if (!entry) throw new Error(`preview2-shim made no preopen for ${preopen.hostPath}`);
    const refused = () => onReadOnly?.(preopen.hostPath);
    return [new SandboxDescriptor(entry[0], preopen.readOnly, tracker, true, refused), preopen.guestPath];
  });
  return {
    types: { ...filesystem.types, Descriptor: SandboxDescriptor },
    preopens: { getDirectories: () => [...directories] },
  };
}
