/**
 * Reads a component file with bounds: only a regular file (a FIFO, a device such as /dev/zero, a
 * directory or a socket is refused before anything is read), no larger than a limit (checked from its
 * size before reading), and only when its first bytes are a component header (checked before reading
 * the rest). A path may name any readable file, so no message shows the file's content.
 */
import { constants, type Stats } from 'node:fs';
import { type FileHandle, open, stat } from 'node:fs/promises';
import { checkComponentHeader } from '../decode/index.ts';
import { RuntimeError } from '../RuntimeError.ts';

/** Default largest component file, in bytes (256 MiB); see `PrepareOptions.maxComponentSize`. */
export const defaultMaxComponentSize = 256 * 2 ** 20;

/** The flag that sets `maxComponentSize` on the command line. */
const SIZE_FLAG = '--max-component-size';

const MiB = 2 ** 20;
const size = (bytes: number) => (bytes >= MiB ? `${(bytes / MiB).toFixed(1)} MiB` : `${bytes} bytes`);

function whatItIs(stats: Stats): string {
  if (stats.isDirectory()) return 'a directory';
  if (stats.isFIFO()) return 'a FIFO (named pipe)';
  if (stats.isSocket()) return 'a socket';
  if (stats.isCharacterDevice()) return 'a character device';
  if (stats.isBlockDevice()) return 'a block device';
  return 'not a regular file';
}

/** Throws unless `stats` is a regular file no larger than `maxSize`. */
function checkStats(path: string, stats: Stats, maxSize: number): void {
  if (!stats.isFile()) {
    throw new RuntimeError(
      'not-a-file',
      `cannot read component ${path}: it is ${whatItIs(stats)}, not a regular .wasm file`,
    );
  }
  if (stats.size > maxSize) {
    throw new RuntimeError(
      'too-large',
      `cannot read component ${path}: it is ${size(stats.size)}, larger than the limit of ${size(maxSize)} ` +
        `(raise it with ${SIZE_FLAG})`,
    );
  }
}

function unreadable(path: string, cause: unknown): RuntimeError {
  const code = (cause as NodeJS.ErrnoException).code;
  const why =
    code === 'ENOENT'
      ? 'there is no such file'
      : code === 'EACCES'
        ? 'permission to read it was denied'
        : code === 'ELOOP'
          ? 'it is a symbolic link loop'
          : `the file system answered ${code ?? 'an error'}`;
  return new RuntimeError('not-found', `cannot read component ${path}: ${why}`, { cause });
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
 * Reads a component file: stat first (refusing anything but a regular file, and a file over `maxSize`,
 * without opening it), then open without blocking and check the opened file again (it may have been
 * swapped since), then the 8-byte header (`not-wasm`, `core-module`... before reading more), then the
 * rest. Errors name the path, never the content.
 * @throws RuntimeError `not-found`, `not-a-file`, `too-large`, `not-wasm`, `core-module`, `truncated`,
 *   `invalid-component`
 */
export async function readComponentFile(
  path: string,
  maxSize: number = defaultMaxComponentSize,
): Promise<Uint8Array> {
  let stats: Stats;
  try {
    stats = await stat(path);
  } catch (cause) {
    throw unreadable(path, cause);
  }
  checkStats(path, stats, maxSize);
  let handle: FileHandle;
  try {
    // O_NONBLOCK: should the path have become a FIFO since the stat, opening it does not wait for a writer.
    handle = await open(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (cause) {
    throw unreadable(path, cause);
  }
  try {
    const opened = await handle.stat();
    checkStats(path, opened, maxSize);
    const head = new Uint8Array(Math.min(8, opened.size));
    const headEnd = await readInto(handle, head, 0);
    try {
      checkComponentHeader(head.subarray(0, headEnd));
    } catch (error) {
      if (!(error instanceof RuntimeError)) throw error;
      throw new RuntimeError(error.code, `${path}: ${error.message}`, { cause: error });
    }
    // Only now is the whole file's buffer allocated.
    const bytes = new Uint8Array(opened.size);
    bytes.set(head);
    const end = await readInto(handle, bytes, headEnd);
    return end < bytes.length ? bytes.subarray(0, end) : bytes;
  } catch (cause) {
    if (cause instanceof RuntimeError) throw cause;
    throw unreadable(path, cause);
  } finally {
    await handle.close();
  }
}
