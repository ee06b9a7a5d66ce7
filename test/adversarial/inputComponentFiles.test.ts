/**
 * Reading a component is bounded: a FIFO, /dev/zero (also through a symlink), a directory or a socket
 * is refused at once without a blocking read; a file over the size limit is refused from its size (a
 * sparse 2 GiB file, no real data written); a file that is not WebAssembly is refused from its first
 * bytes, without the rest being read and without its content in the message.
 *
 * Each case runs under a deadline of its own, so a regression fails here instead of hanging the suite.
 */
import { existsSync, mkdirSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  defaultMaxComponentSize,
  prepareComponent,
  readComponentSource,
  readComponentTypes,
} from '../../src/runtime/index.ts';
import { tempDirWithFifo } from './fifo.ts';
import { refusal } from './refusal.ts';
import { releaseFifos } from './storeCorruptions.ts';

const GiB = 2 ** 30;
const MiB = 2 ** 20;
let dir: string;
let fifo: string;
let socketServer: Server | undefined;

beforeAll(async () => {
  ({ dir, fifo } = await tempDirWithFifo('wasmactor-input-', 'pipe.wasm'));
});

afterAll(async () => {
  // Should a regression have opened the FIFO for reading, a writer that comes and goes releases it.
  await releaseFifos([fifo]);
  socketServer?.close();
  await rm(dir, { recursive: true, force: true });
});

describe('component files that are not regular files are refused before any read', () => {
  it('a FIFO, at once, through every reading entry point', async () => {
    // Each started only when awaited: a refusal created early would be an unhandled rejection meanwhile.
    for (const work of [
      () => readComponentSource({ path: fifo }),
      () => readComponentTypes({ path: fifo }),
      () => prepareComponent({ path: fifo }),
    ]) {
      const error = await refusal(work());
      expect(error.code).toBe('not-a-file');
      expect(error.message).toBe(
        `cannot read component ${fifo}: it is a FIFO (named pipe), not a regular file`,
      );
    }
  });

  it('/dev/zero and a symlink to it, without reading a byte', async () => {
    const link = join(dir, 'zero.wasm');
    symlinkSync('/dev/zero', link);
    const before = process.memoryUsage().rss;
    for (const path of ['/dev/zero', link]) {
      const error = await refusal(readComponentSource({ path }));
      expect(error.code).toBe('not-a-file');
      expect(error.message).toContain(`${path}: it is a character device`);
    }
    expect(process.memoryUsage().rss - before).toBeLessThan(64 * MiB);
  });

  it('a directory and a socket', async () => {
    const sub = join(dir, 'dir.wasm');
    mkdirSync(sub);
    expect((await refusal(readComponentSource({ path: sub }))).message).toContain('it is a directory');
    const socketPath = join(dir, 'sock.wasm');
    socketServer = createServer();
    await new Promise<void>((resolve) => socketServer?.listen(socketPath, resolve));
    expect(existsSync(socketPath)).toBe(true);
    const error = await refusal(readComponentSource({ path: socketPath }));
    expect(error.code).toBe('not-a-file');
    expect(error.message).toContain('it is a socket');
  });
});

describe('size is checked before reading', () => {
  it('refuses a sparse 2 GiB file at once, naming the size, the limit and the flag', async () => {
    const path = join(dir, 'huge.wasm');
    writeFileSync(path, Uint8Array.of(0x00, 0x61, 0x73, 0x6d, 0x0d, 0x00, 0x01, 0x00));
    truncateSync(path, 2 * GiB); // sparse: no data is written
    const before = process.memoryUsage().rss;
    const started = performance.now();
    const error = await refusal(readComponentSource({ path }));
    expect(performance.now() - started).toBeLessThan(1000);
    expect(error.code).toBe('too-large');
    expect(error.message).toBe(
      `cannot read component ${path}: it is 2048.0 MiB, larger than the limit of 256.0 MiB (raise it with --max-component-size)`,
    );
    expect(process.memoryUsage().rss - before).toBeLessThan(64 * MiB);
    expect(defaultMaxComponentSize).toBe(256 * MiB);
  });

  it('applies maxComponentSize to files and to bytes, and accepts a file at the limit', async () => {
    const path = join(dir, 'small.wasm');
    const header = Uint8Array.of(0x00, 0x61, 0x73, 0x6d, 0x0d, 0x00, 0x01, 0x00);
    writeFileSync(path, header);
    expect((await readComponentSource({ path }, { maxComponentSize: 8 })).bytes).toEqual(header);
    expect((await refusal(readComponentSource({ path }, { maxComponentSize: 7 }))).code).toBe('too-large');
    const bytes = await refusal(
      readComponentSource({ bytes: header, name: 'b.wasm' }, { maxComponentSize: 7 }),
    );
    expect(bytes.code).toBe('too-large');
    expect(bytes.message).toContain('b.wasm');
    expect((await refusal(prepareComponent({ path }, { maxComponentSize: 7 }))).code).toBe('too-large');
  });
});

describe('the header is checked from the first bytes', () => {
  it('refuses a text file holding a secret without showing any of it', async () => {
    const path = join(dir, 'shadow.wasm');
    writeFileSync(path, 'root:$6$S3cr3tSaltAndHash:19000:0:99999:7:::\n');
    for (const work of [
      () => readComponentSource({ path }),
      () => readComponentTypes({ path }),
      () => prepareComponent({ path }),
    ]) {
      const error = await refusal(work());
      expect(error.code).toBe('not-wasm');
      expect(error.message).toContain(path);
      const shown = `${error.message} ${error.stack} ${String(error.cause)} ${JSON.stringify(error)}`;
      expect(shown).not.toMatch(/root|S3cr3t|\$6|19000/);
    }
  });

  it('refuses a large non-wasm file without reading the rest (sparse 200 MiB)', async () => {
    const path = join(dir, 'big-text.wasm');
    writeFileSync(path, 'not wasm at all\n');
    truncateSync(path, 200 * MiB);
    const before = process.memoryUsage().rss;
    const started = performance.now();
    const error = await refusal(readComponentSource({ path }));
    expect(error.code).toBe('not-wasm');
    // Reading 200 MiB would take the buffer into memory; the header alone takes nothing measurable.
    expect(process.memoryUsage().rss - before).toBeLessThan(64 * MiB);
    expect(performance.now() - started).toBeLessThan(1000);
  });

  it('refuses a core module from its header', async () => {
    const path = join(dir, 'core.wasm');
    writeFileSync(path, Uint8Array.of(0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00));
    truncateSync(path, 100 * MiB);
    const before = process.memoryUsage().rss;
    expect((await refusal(readComponentSource({ path }))).code).toBe('core-module');
    expect(process.memoryUsage().rss - before).toBeLessThan(64 * MiB);
  });
});
