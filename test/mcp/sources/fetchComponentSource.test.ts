/**
 * fetchComponentSource and the download cache against a real node:http server on 127.0.0.1 (loopback
 * http is allowed; HTTPS and its trust store are covered end to end in remoteLoad.e2e.test.ts).
 */
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { McpError } from '../../../src/mcp/McpError.ts';
import {
  BlobCache,
  type FetchSourceOptions,
  fetchComponentSource,
  parseSourceReference,
} from '../../../src/mcp/sources/index.ts';
import { sha256 } from '../../../src/runtime/index.ts';
import { fixture, tempDir } from '../helpers.ts';
import { type FileServer, startFileServer } from './fileServer.ts';

let server: FileServer;
let counter: Uint8Array;
let trap: Uint8Array;
let counterPath: string;
const cleanups: (() => Promise<void>)[] = [];

beforeAll(async () => {
  const [c, t] = (await fixture('counter', 'trap')) as [string, string];
  counterPath = c;
  counter = new Uint8Array(await readFile(c));
  trap = new Uint8Array(await readFile(t));
  server = await startFileServer();
  server.routes.set('/a/counter.wasm', { body: counter });
  server.routes.set('/b/counter.wasm', { body: counter });
  server.routes.set('/trap.wasm', { body: trap });
  server.routes.set('/page.wasm', {
    body: new TextEncoder().encode('<!DOCTYPE html><html>sign in</html>'),
    type: 'text/html; charset=utf-8',
  });
}, 120_000);

afterAll(async () => {
  await server.stop();
  for (const cleanup of cleanups) await cleanup();
});

async function freshCache(): Promise<BlobCache> {
  const { dir, cleanup } = await tempDir('wasmactor-blobs-');
  cleanups.push(cleanup);
  return new BlobCache(dir);
}

function fetchFrom(source: string, options: Partial<FetchSourceOptions> = {}) {
  return fetchComponentSource(parseSourceReference(source), {
    maxBytes: 1 << 20,
    timeoutMs: 10_000,
    ...options,
  });
}

async function refusal(promise: Promise<unknown>): Promise<McpError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (error instanceof McpError) return error;
  throw new Error(`expected an McpError, got ${String(error)}`);
}

const count = (path: string) => server.requests.get(path) ?? 0;

describe('fetchComponentSource', () => {
  it('downloads a URL: the bytes, their digest, the id, the canonical and the pinned source; the cache keeps them', async () => {
    const cache = await freshCache();
    const fetched = await fetchFrom(`${server.base}/a/counter.wasm`, { cache });
    const digest = sha256(counter);
    expect(fetched).toMatchObject({
      digest,
      id: 'counter',
      source: `${server.base}/a/counter.wasm`,
      pinned: `${server.base}/a/counter.wasm#sha256=${digest}`,
      fromCache: false,
    });
    expect(Buffer.from(fetched.bytes).equals(Buffer.from(counter))).toBe(true);
    expect(new Uint8Array(await readFile(join(cache.dir, 'sha256', digest)))).toEqual(counter);
    // written atomically: nothing else is left in the folder
    expect(await readdir(join(cache.dir, 'sha256'))).toEqual([digest]);
  });

  it('answers a pinned digest from the cache without a request, from any URL that pins it', async () => {
    const cache = await freshCache();
    const digest = sha256(counter);
    await fetchFrom(`${server.base}/a/counter.wasm`, { cache });
    const before = count('/b/counter.wasm');
    const again = await fetchFrom(`${server.base}/b/counter.wasm#sha256=${digest}`, { cache });
    expect(again).toMatchObject({ digest, fromCache: true, source: `${server.base}/b/counter.wasm` });
    const byArgument = await fetchFrom(`${server.base}/b/counter.wasm`, {
      cache,
      sha256: `sha256:${digest}`,
    });
    expect(byArgument.fromCache).toBe(true);
    expect(count('/b/counter.wasm')).toBe(before);
  });

  it('verifies a cache entry when it reads it: a changed one is deleted and downloaded again', async () => {
    const cache = await freshCache();
    const digest = sha256(counter);
    await fetchFrom(`${server.base}/a/counter.wasm`, { cache });
    await writeFile(join(cache.dir, 'sha256', digest), trap);
    const before = count('/a/counter.wasm');
    const fetched = await fetchFrom(`${server.base}/a/counter.wasm#sha256=${digest}`, { cache });
    expect(fetched.fromCache).toBe(false);
    expect(sha256(fetched.bytes)).toBe(digest);
    expect(count('/a/counter.wasm')).toBe(before + 1);
    expect(sha256(await readFile(join(cache.dir, 'sha256', digest)))).toBe(digest);
  });

  it('refuses bytes that are not the pinned ones (URL pin or argument): digest-mismatch, nothing cached', async () => {
    const cache = await freshCache();
    const wanted = sha256(counter);
    const byUrl = await refusal(fetchFrom(`${server.base}/trap.wasm#sha256=${wanted}`, { cache }));
    expect(byUrl.code).toBe('digest-mismatch');
    expect(byUrl.message).toBe(
      `${server.base}/trap.wasm has sha256 ${sha256(trap)}, but ${wanted} was pinned: nothing was loaded or stored. If the component changed on purpose, pin its new digest.`,
    );
    const byArgument = await refusal(fetchFrom(`${server.base}/trap.wasm`, { cache, sha256: wanted }));
    expect(byArgument.code).toBe('digest-mismatch');
    expect(await readdir(cache.dir)).toEqual([]);
  });

  it('refuses two different pins, and a sha256 argument that is no digest, before any request', async () => {
    const before = count('/trap.wasm');
    const both = await refusal(
      fetchFrom(`${server.base}/trap.wasm#sha256=${'a'.repeat(64)}`, { sha256: 'b'.repeat(64) }),
    );
    expect(both).toMatchObject({ code: 'bad-path', message: expect.stringMatching(/give one digest/) });
    const bad = await refusal(fetchFrom(`${server.base}/trap.wasm`, { sha256: 'latest' }));
    expect(bad.message).toMatch(/sha256 must be 64 hex digits .* "latest" is not/);
    expect(count('/trap.wasm')).toBe(before);
  });

  it('refuses a download that is not a component (an HTML page): source-invalid, nothing cached', async () => {
    const cache = await freshCache();
    const error = await refusal(fetchFrom(`${server.base}/page.wasm`, { cache }));
    expect(error.code).toBe('source-invalid');
    expect(error.message).toBe(
      `${server.base}/page.wasm is not a WebAssembly component: not WebAssembly: the download does not start with the magic bytes '\\0asm'; a WebAssembly component ('\\0asm' magic, layer 1) was expected. The server sent an HTML page (Content-Type text/html): give the URL of the .wasm file itself (a release asset, a raw file).`,
    );
    expect(error.message).not.toMatch(/sign in/);
    expect(await readdir(cache.dir)).toEqual([]);
  });

  it('checks a pin on a file source too', async () => {
    const ok = await fetchFrom(counterPath, { sha256: sha256(counter) });
    expect(ok).toMatchObject({ id: 'counter', source: counterPath, path: counterPath, fromCache: false });
    expect(ok.pinned).toBeUndefined();
    const wrong = await refusal(fetchFrom(counterPath, { sha256: sha256(trap) }));
    expect(wrong.code).toBe('digest-mismatch');
  });

  it('still loads when the cache cannot be written (it is logged, not fatal)', async () => {
    const { dir, cleanup } = await tempDir('wasmactor-blobs-');
    cleanups.push(cleanup);
    // A file where the cache directory's `sha256` folder should be: every write fails.
    await writeFile(join(dir, 'sha256'), 'in the way');
    const fetched = await fetchFrom(`${server.base}/a/counter.wasm`, { cache: new BlobCache(dir) });
    expect(fetched.digest).toBe(sha256(counter));
  });
});
