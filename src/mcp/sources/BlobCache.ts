/**
 * The download cache: downloaded components by content, `<dir>/sha256/<hex>`, and for each OCI manifest
 * digest that was pulled, the digest of its component layer (`<dir>/oci-pins/<manifest hex>`), so that a
 * reference pinned `@sha256:` loads again without asking the registry. The default directory is
 * `$XDG_CACHE_HOME/wasmactor/blobs` (beside the transpile cache): it is a cache in the XDG sense — the
 * component directory keeps its own copy of every loaded component, so deleting the cache loses nothing
 * and a restart never needs it — and one user's servers share it, which content addressing makes safe.
 *
 * Nothing read is trusted: an entry is hashed again on every read and one whose bytes do not match its
 * name is deleted and reported as missing. Writes are atomic (a temporary file, fsynced, renamed into
 * place). A cache that cannot be read or written is logged and bypassed: it never fails a load.
 */
import { randomBytes } from 'node:crypto';
import { open, rename, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { defaultCacheDir, log, sha256 } from '../../runtime/index.ts';
import { makeDirectory } from '../makeDirectory.ts';
import { readRegularFile } from '../readRegularFile.ts';

/** `$XDG_CACHE_HOME/wasmactor/blobs`, or `~/.cache/wasmactor/blobs`. */
export function defaultBlobCacheDir(): string {
  return join(defaultCacheDir(), 'blobs');
}

/** A content-addressed store of downloaded bytes. */
export class BlobCache {
  /** @param dir the cache directory (`defaultBlobCacheDir()` in a server). */
  constructor(readonly dir: string) {}

  private pathOf(hex: string): string {
    if (!/^[0-9a-f]{64}$/.test(hex)) throw new Error(`not a sha256 hex digest: ${hex}`);
    return join(this.dir, 'sha256', hex);
  }

  /**
   * The bytes whose sha256 is `hex`, if the cache holds them (at most `maxBytes`). An entry that is not a
   * regular file, is too big or whose bytes hash to something else counts as missing (and a wrong one is
   * deleted).
   */
  async get(hex: string, maxBytes: number): Promise<Uint8Array | undefined> {
    const path = this.pathOf(hex);
    let read: Buffer;
    try {
      read = await readRegularFile(path, maxBytes);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
        log.warn('a download cache entry cannot be read; downloading instead', {
          path,
          error: (error as Error).message,
        });
      }
      return undefined;
    }
    const bytes = new Uint8Array(read.buffer, read.byteOffset, read.byteLength);
    if (sha256(bytes) !== hex) {
      log.warn('a download cache entry does not have the digest it is named by; deleting it', { path });
      await rm(path, { force: true }).catch(() => undefined);
      return undefined;
    }
    return bytes;
  }

  /** Keeps `bytes` under their sha256 (`hex`, computed by the caller); failures are logged, never thrown. */
  put(hex: string, bytes: Uint8Array): Promise<void> {
    return this.write(this.pathOf(hex), bytes);
  }

  /**
   * The layer digest (hex) recorded for an OCI manifest digest (hex), if any. A manifest digest names
   * immutable content, so the record never goes stale; the layer itself is verified when it is read.
   */
  async layerOf(manifestHex: string): Promise<string | undefined> {
    if (!/^[0-9a-f]{64}$/.test(manifestHex)) return undefined;
    try {
      const text = (await readRegularFile(join(this.dir, 'oci-pins', manifestHex), 64)).toString('utf8');
      return /^[0-9a-f]{64}$/.test(text) ? text : undefined;
    } catch {
      return undefined;
    }
  }

  /** Records the layer digest of a pulled manifest (both hex); failures are logged, never thrown. */
  pinLayer(manifestHex: string, layerHex: string): Promise<void> {
    if (!/^[0-9a-f]{64}$/.test(manifestHex) || !/^[0-9a-f]{64}$/.test(layerHex)) return Promise.resolve();
    return this.write(join(this.dir, 'oci-pins', manifestHex), new TextEncoder().encode(layerHex));
  }

  /** Writes a file atomically: a temporary file beside it, fsynced, renamed into place. */
  private async write(path: string, bytes: Uint8Array): Promise<void> {
    const folder = dirname(path);
    const temporary = join(folder, `.tmp-${randomBytes(6).toString('hex')}`);
    try {
      await makeDirectory(folder);
      const handle = await open(temporary, 'wx', 0o644);
      try {
        await handle.writeFile(bytes);
        await handle.sync();
      } finally {
        await handle.close();
      }
      await rename(temporary, path);
    } catch (error) {
      await rm(temporary, { force: true }).catch(() => undefined);
      log.warn('cannot write to the download cache; the next load of this digest downloads again', {
        dir: this.dir,
        error: (error as Error).message,
      });
    }
  }
}
