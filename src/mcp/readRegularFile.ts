/**
 * Reading files of the component directory without ever blocking or reading without end: only a
 * regular file (not a symlink, FIFO, device, socket or directory) is opened, its size is checked before
 * a byte is read, and at most that many bytes are read.
 */
import { constants, type Stats } from 'node:fs';
import { lstat, open } from 'node:fs/promises';
import { fileKind } from '../runtime/index.ts';

/** An error whose message names the file and the problem; `code` keeps the errno code, if any. */
function problem(path: string, why: string, code?: string): NodeJS.ErrnoException {
  const error: NodeJS.ErrnoException = new Error(`${path} ${why}`);
  if (code !== undefined) error.code = code;
  return error;
}

function errnoWords(error: NodeJS.ErrnoException): string {
  switch (error.code) {
    case 'ENOENT':
      return 'is missing';
    case 'EACCES':
    case 'EPERM':
      return 'cannot be read: permission denied';
    case 'ELOOP':
      return 'is a symbolic link (or a loop of them); only regular files are read';
    case 'ENOTDIR':
      return 'is missing (a part of its path is not a folder)';
    default:
      return `cannot be read: ${error.message}`;
  }
}

/**
 * `lstat` of `path`, throwing a message that names the file unless it is a regular file of at most
 * `maxBytes` bytes. Nothing is opened.
 */
export async function regularFileStats(path: string, maxBytes: number): Promise<Stats> {
  let stats: Stats;
  try {
    stats = await lstat(path);
  } catch (cause) {
    const error = cause as NodeJS.ErrnoException;
    throw problem(path, errnoWords(error), error.code);
  }
  if (!stats.isFile()) throw problem(path, `is ${fileKind(stats)}; only regular files are read`);
  if (stats.size > maxBytes)
    throw problem(path, `is ${stats.size} bytes, more than the limit of ${maxBytes}`);
  return stats;
}

/**
 * The whole content of a regular file of at most `maxBytes` bytes. Anything else (missing, a symlink, a
 * FIFO, a device, a directory, too big, unreadable) throws an error naming the file and the problem,
 * without blocking: the file is opened with `O_NOFOLLOW | O_NONBLOCK` and checked again once open (it
 * must be the very file that was checked before), and no more bytes than its size are read.
 */
export async function readRegularFile(path: string, maxBytes: number): Promise<Buffer> {
  const before = await regularFileStats(path, maxBytes);
  const io = <T>(operation: Promise<T>): Promise<T> =>
    operation.catch((cause: NodeJS.ErrnoException) => {
      throw problem(path, errnoWords(cause), cause.code);
    });
  const handle = await io(
    open(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK | constants.O_NOCTTY),
  );
  try {
    const stats = await io(handle.stat());
    if (!stats.isFile() || stats.ino !== before.ino || stats.dev !== before.dev) {
      throw problem(path, 'was replaced while it was being read');
    }
    if (stats.size > maxBytes)
      throw problem(path, `is ${stats.size} bytes, more than the limit of ${maxBytes}`);
    const buffer = Buffer.alloc(stats.size);
    let filled = 0;
    while (filled < buffer.length) {
      const { bytesRead } = await io(handle.read(buffer, filled, buffer.length - filled, filled));
      if (bytesRead === 0) break;
      filled += bytesRead;
    }
    const extra = await io(handle.read(Buffer.alloc(1), 0, 1, filled));
    if (extra.bytesRead !== 0) throw problem(path, 'grew while it was being read');
    return filled === buffer.length ? buffer : buffer.subarray(0, filled);
  } finally {
    await handle.close();
  }
}
