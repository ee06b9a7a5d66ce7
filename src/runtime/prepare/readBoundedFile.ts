/**
 * Reads a file a client named, with bounds: only a regular file (a FIFO, a device such as /dev/zero, a
 * directory or a socket is refused before anything is read), no larger than a limit (checked from its
 * size before reading), and, for components, only when its first bytes are a component header
 * (checked before reading the rest). A path may name any readable file, so no message shows the
 * file's content.
 */
import { constants, type Stats } from 'node:fs';
import { type FileHandle, open, stat } from 'node:fs/promises';
import { checkComponentHeader } from '../decode/index.ts';
import { RuntimeError } from '../RuntimeError.ts';

/** Default largest component file, in bytes (256 MiB); see `PrepareOptions.maxComponentSize`. */
export const defaultMaxComponentSize = 256 * 2 ** 20;

/** What is being read, for messages and limits. */
export interface BoundedRead {
  /** `component`, `policy file`: the messages say `cannot read <what> <path>: ...`. */
  what: string;
  /** Largest size accepted, in bytes. */
  maxSize: number;
  /** How the user raises `maxSize` (`raise it with --max-component-size`), if they can. */
  raise?: string;
  /** Checks the first `length` bytes before the rest is read (throws `RuntimeError`). */
  head?: { length: number; check(head: Uint8Array): void };
}

const MiB = 2 ** 20;
const size = (bytes: number) => (bytes >= MiB ? `${(bytes / MiB).toFixed(1)} MiB` : `${bytes} bytes`);

/** What a path is, in words, for a message (`a FIFO (named pipe)`). */
export function fileKind(stats: Stats): string {
  if (stats.isFile()) return 'a regular file';
  if (stats.isDirectory()) return 'a directory';
  if (stats.isSymbolicLink()) return 'a symbolic link';
  if (stats.isFIFO()) return 'a FIFO (named pipe)';
  if (stats.isCharacterDevice()) return 'a character device';
  if (stats.isBlockDevice()) return 'a block device';
  if (stats.isSocket()) return 'a socket';
  return 'not a regular file';
}

/** Throws unless `stats` is a regular file no larger than the limit. */
function checkStats(path: string, stats: Stats, read: BoundedRead): void {
  if (!stats.isFile()) {
    throw new RuntimeError(
      'not-a-file',
      `cannot read ${read.what} ${path}: it is ${fileKind(stats)}, not a regular file`,
    );
  }
  if (stats.size > read.maxSize) {
    throw new RuntimeError(
      'too-large',
      `cannot read ${read.what} ${path}: it is ${size(stats.size)}, larger than the limit of ` +
        `${size(read.maxSize)}${read.raise === undefined ? '' : ` (${read.raise})`}`,
    );
  }
}

function unreadable(path: string, read: BoundedRead, cause: unknown): RuntimeError {
  const code = (cause as NodeJS.ErrnoException).code;
  const why =
    code === 'ENOENT'
      ? 'there is no such file'
      : code === 'EACCES'
        ? 'permission to read it was denied'
        : code === 'ELOOP'
          ? 'it is a symbolic link loop'
          : `the file system answered ${code ?? 'an error'}`;
  return new RuntimeError('not-found', `cannot read ${read.what} ${path}: ${why}`, { cause });
}

/** Reads into `buffer` from `offset` until it is full or the file ends; returns the end offset. */
async function readInto(handle: FileHandle, buffer: Uint8Array, offset: number): Promise<number> {
  let at = offset;
  while (at < buffer.length) {
    const { bytesRead } = await handle.read(buffer, at, buffer.length - at, at);
    if (bytesRead === 0) break;
    at += bytesRead;
  }
  return at;
}

/**
 * Reads a file: stat first (refusing anything but a regular file, and a file over the limit, without
 * opening it), then open without blocking and check the opened file again (it may have been swapped
 * since), then `read.head` (before the rest is read or its buffer allocated), then the rest. Errors name
 * the path, never the content.
 * @throws RuntimeError `not-found`, `not-a-file`, `too-large`, or what `read.head` throws
 */
export async function readBoundedFile(path: string, read: BoundedRead): Promise<Uint8Array> {
  let stats: Stats;
  try {
    stats = await stat(path);
  } catch (cause) {
    throw unreadable(path, read, cause);
  }
  checkStats(path, stats, read);
  let handle: FileHandle;
  try {
    // O_NONBLOCK: should the path have become a FIFO since the stat, opening it does not wait for a writer.
    handle = await open(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (cause) {
    throw unreadable(path, read, cause);
  }
  try {
    const opened = await handle.stat();
    checkStats(path, opened, read);
    const head = new Uint8Array(Math.min(read.head?.length ?? 0, opened.size));
    const headEnd = await readInto(handle, head, 0);
    read.head?.check(head.subarray(0, headEnd));
    // Only now is the whole file's buffer allocated.
    const bytes = new Uint8Array(opened.size);
    bytes.set(head);
    const end = await readInto(handle, bytes, headEnd);
    return end < bytes.length ? bytes.subarray(0, end) : bytes;
  } catch (cause) {
    if (cause instanceof RuntimeError) throw cause;
    throw unreadable(path, read, cause);
  } finally {
    await handle.close();
  }
}

/**
 * Reads a component file with `readBoundedFile`: at most `maxSize` bytes, and the 8-byte component
 * header (`not-wasm`, `core-module`...) checked before the rest is read.
 * @throws RuntimeError `not-found`, `not-a-file`, `too-large`, `not-wasm`, `core-module`, `truncated`,
 *   `invalid-component`
 */
export function readComponentFile(
  path: string,
  maxSize: number = defaultMaxComponentSize,
): Promise<Uint8Array> {
  return readBoundedFile(path, {
    what: 'component',
    maxSize,
    raise: 'raise it with --max-component-size',
    head: {
      length: 8,
      check(head) {
        try {
          checkComponentHeader(head);
        } catch (error) {
          if (!(error instanceof RuntimeError)) throw error;
          throw new RuntimeError(error.code, `${path}: ${error.message}`, { cause: error });
        }
      },
    },
  });
}
