/**
 * Streams and directory listings over a descriptor the sandbox opened itself (see hostDescriptor.ts).
 * They subclass the shim's `InputStream`, `OutputStream` and `DirectoryEntryStream` because the jco glue
 * checks `instanceof` against those classes. File I/O is synchronous on the instance's own thread: a
 * guest call blocks there anyway, and it saves the shim's hop to its I/O worker per operation.
 * Known limit: the shim's own output streams (an HTTP body) cannot `splice` from these; `read` + `write`
 * works.
 */
import { closeSync, type Dir, fstatSync, readSync, writeSync } from 'node:fs';
import { clocks, filesystem, io } from '@bytecodealliance/preview2-shim';
import { fsErrorCode } from './fsErrors.ts';
import { symbolDispose } from './resources.ts';

/** A host file descriptor shared by a descriptor and the streams made from it; closed with the last. */
export class SharedFd {
  #refs = 1;
  constructor(readonly fd: number) {}

  retain(): this {
    this.#refs++;
    return this;
  }

  release(): void {
    if (this.#refs === 0) return;
    if (--this.#refs === 0) closeSync(this.fd);
  }

  get open(): boolean {
    return this.#refs > 0;
  }
}

const ShimInputStreamClass = io.streams.InputStream as unknown as new () => object;
const ShimOutputStreamClass = io.streams.OutputStream as unknown as new () => object;
const ShimDirectoryEntryStreamClass = (
  filesystem.types as unknown as { DirectoryEntryStream: new () => object }
).DirectoryEntryStream;
const IoError = io.error.Error as unknown as new (payload: unknown) => object;

const WRITE_BUDGET = 1n << 20n;
const READ_CAP = 1 << 20;

/** A stream error the guest can ask `filesystem-error-code` about (the shim reads `payload.code`). */
function streamError(error: unknown): { tag: 'last-operation-failed'; val: object } {
  let code: string;
  try {
    code = (error as { code?: string }).code ?? fsErrorCode(error);
  } catch {
    code = 'EIO';
  }
  return {
    tag: 'last-operation-failed',
    val: new IoError(Object.assign(new Error(String(error)), { code })),
  };
}

function readyPollable(): unknown {
  return clocks.monotonicClock.subscribeDuration(0n);
}

/** `read-via-stream`: reads from `offset` on, `closed` at end of file. */
export class FileInputStream extends ShimInputStreamClass {
  readonly #file: SharedFd;
  #position: number;

  constructor(file: SharedFd, offset: bigint) {
    super();
    this.#file = file.retain();
    this.#position = Number(offset);
  }

  read(len: bigint): Uint8Array {
    if (!this.#file.open) throw { tag: 'closed' };
    const buffer = new Uint8Array(Math.min(Number(len), READ_CAP));
    if (buffer.byteLength === 0) return buffer;
    let count: number;
    try {
      count = readSync(this.#file.fd, buffer, 0, buffer.byteLength, this.#position);
    } catch (error) {
      throw streamError(error);
    }
    if (count === 0) throw { tag: 'closed' };
    this.#position += count;
    return buffer.subarray(0, count);
  }
  blockingRead(len: bigint): Uint8Array {
    return this.read(len);
  }
  skip(len: bigint): bigint {
    return BigInt(this.read(len).byteLength);
  }
  blockingSkip(len: bigint): bigint {
    return this.skip(len);
  }
  subscribe(): unknown {
    return readyPollable();
  }
  [symbolDispose](): void {
    this.#file.release();
  }
}

/** `write-via-stream` from `offset`, or `append-via-stream` (each write at the current end). */
export class FileOutputStream extends ShimOutputStreamClass {
  readonly #file: SharedFd;
  #position: number;
  readonly #append: boolean;

  constructor(file: SharedFd, offset: bigint | 'append') {
    super();
    this.#file = file.retain();
    this.#append = offset === 'append';
    this.#position = offset === 'append' ? 0 : Number(offset);
  }

  #write(bytes: Uint8Array): void {
    if (!this.#file.open) throw { tag: 'closed' };
    try {
      if (this.#append) this.#position = fstatSync(this.#file.fd).size;
      let done = 0;
      while (done < bytes.byteLength) {
        done += writeSync(this.#file.fd, bytes, done, bytes.byteLength - done, this.#position + done);
      }
      this.#position += done;
    } catch (error) {
      throw streamError(error);
    }
  }

  checkWrite(): bigint {
    if (!this.#file.open) throw { tag: 'closed' };
    return WRITE_BUDGET;
  }
  write(contents: Uint8Array): void {
    this.#write(contents);
  }
  blockingWriteAndFlush(contents: Uint8Array): void {
    this.#write(contents);
  }
  flush(): void {}
  blockingFlush(): void {}
  writeZeroes(len: bigint): void {
    this.#write(new Uint8Array(Number(len)));
  }
  blockingWriteZeroesAndFlush(len: bigint): void {
    this.writeZeroes(len);
  }
  splice(src: { read(len: bigint): Uint8Array }, len: bigint): bigint {
    const bytes = src.read(len);
    this.#write(bytes);
    return BigInt(bytes.byteLength);
  }
  blockingSplice(src: { blockingRead(len: bigint): Uint8Array }, len: bigint): bigint {
    const bytes = src.blockingRead(len);
    this.#write(bytes);
    return BigInt(bytes.byteLength);
  }
  subscribe(): unknown {
    return readyPollable();
  }
  [symbolDispose](): void {
    this.#file.release();
  }
}

/** The WASI type name of a `Dirent` or `Stats`. */
export function typeName(entry: {
  isFile(): boolean;
  isDirectory(): boolean;
  isSymbolicLink(): boolean;
  isFIFO(): boolean;
  isSocket(): boolean;
  isCharacterDevice(): boolean;
  isBlockDevice(): boolean;
}): string {
  if (entry.isFile()) return 'regular-file';
  if (entry.isDirectory()) return 'directory';
  if (entry.isSymbolicLink()) return 'symbolic-link';
  if (entry.isFIFO()) return 'fifo';
  if (entry.isSocket()) return 'socket';
  if (entry.isCharacterDevice()) return 'character-device';
  if (entry.isBlockDevice()) return 'block-device';
  return 'unknown';
}

/**
 * `read-directory`: the entries of one directory, `.` and `..` left out. The directory is closed as soon
 * as the listing reaches its end, since JS guests never drop the stream.
 */
export class DirectoryEntries extends ShimDirectoryEntryStreamClass {
  #dir: Dir | undefined;
  #ended = false;

  constructor(dir: Dir) {
    super();
    this.#dir = dir;
  }

  readDirectoryEntry(): { name: string; type: string } | undefined {
    if (this.#ended) return undefined;
    if (!this.#dir) throw 'bad-descriptor';
    let entry: ReturnType<Dir['readSync']>;
    try {
      entry = this.#dir.readSync();
    } catch (error) {
      throw fsErrorCode(error);
    }
    if (entry === null) {
      this.#ended = true;
      this.#close();
      return undefined;
    }
    return { name: entry.name, type: typeName(entry) };
  }
  #close(): void {
    this.#dir?.closeSync();
    this.#dir = undefined;
  }
  [symbolDispose](): void {
    this.#close();
  }
}
