/**
 * The load API (`WasmactorServer.load(LoadRequest)`) in one process, with a real ComponentHost, a real
 * component directory and a node:http server on 127.0.0.1: an explicit id, an inline policy, the report,
 * the download time limit, and a restore that reads only the component directory.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ComponentHost } from '../../../src/machines/index.ts';
import { ComponentStore, McpError, WasmactorServer } from '../../../src/mcp/index.ts';
import { createRuntime, sha256 } from '../../../src/runtime/index.ts';
import { parsePolicy } from '../../../src/runtime/policy/index.ts';
import { fixture, tempDir } from '../helpers.ts';
import { type FileServer, startFileServer } from './fileServer.ts';

let web: FileServer;
let counter: Uint8Array;
let server: WasmactorServer;
let store: ComponentStore;
let componentDir: string;
const cleanups: (() => Promise<void>)[] = [];

beforeAll(async () => {
  const [c] = (await fixture('counter')) as [string];
  counter = new Uint8Array(await readFile(c));
  web = await startFileServer();
  web.routes.set('/v1/counter.wasm', { body: counter });
  web.routes.set('/stuck.wasm', { body: counter, chunk: 100, stallAfter: 300 });
}, 120_000);

afterAll(async () => {
  await web.stop();
});

async function newServer(options: { downloadTimeoutMs?: number } = {}): Promise<WasmactorServer> {
  store = await ComponentStore.open(componentDir);
  const cache = await tempDir('wasmactor-blobs-');
  cleanups.push(cache.cleanup);
  return new WasmactorServer({
    host: new ComponentHost({ runtime: createRuntime() }),
    store,
    downloadCacheDir: cache.dir,
    ...options,
  });
}

beforeEach(async () => {
  const dir = await tempDir('wasmactor-load-');
  cleanups.push(dir.cleanup);
  componentDir = dir.dir;
  server = await newServer();
});

afterEach(async () => {
  await server.close();
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

async function refusal(promise: Promise<unknown>): Promise<McpError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (error instanceof McpError) return error;
  throw new Error(`expected an McpError, got ${String(error)}`);
}

describe('WasmactorServer.load', () => {
  it('loads a URL under an explicit id, with an inline policy; the report says source, digest and pin', async () => {
    const url = `${web.base}/v1/counter.wasm`;
    const policy = parsePolicy(
      'version: "1.0"\npermissions:\n  environment:\n    allow:\n      - key: HOME\n',
      'm',
    );
    const report = await server.load({
      source: url,
      id: 'tally',
      stateful: true,
      policy: { policy, path: 'manifest.yaml: components[0].permissions' },
    });
    expect(report).toMatchObject({
      id: 'tally',
      source: url,
      sha256: sha256(counter),
      pinned: `${url}#sha256=${sha256(counter)}`,
      fetched: 'download',
      policyPath: 'manifest.yaml: components[0].permissions',
    });
    expect((await store.get('tally')).metadata).toMatchObject({ id: 'tally', source: url });
    expect(await store.policy('tally')).toMatch(/HOME/);
    expect((await server.policyOf('tally')).permissions).toMatchObject({
      environment: { allow: [{ key: 'HOME' }] },
    });
  });

  it('applies a policy_path to a URL source (a remote source has no folder for a sidecar policy)', async () => {
    const dir = await tempDir('wasmactor-policy-');
    cleanups.push(dir.cleanup);
    const policyPath = join(dir.dir, 'p.yaml');
    await writeFile(
      policyPath,
      'version: "1.0"\npermissions:\n  network:\n    allow:\n      - host: example.com\n',
    );
    const report = await server.load({ source: `${web.base}/v1/counter.wasm`, stateful: false, policyPath });
    expect(report.policyPath).toBe(policyPath);
    expect((await server.policyOf('counter')).permissions).toMatchObject({
      network: { allow: [{ host: 'example.com' }] },
    });
    const plain = await server.load({ source: `${web.base}/v1/counter.wasm`, stateful: false });
    expect(plain.policyPath).toBeUndefined();
    // the stored policy stays
    expect(await store.policy('counter')).toMatch(/example\.com/);
  });

  it('refuses an explicit id that cannot be one (invalid-id) before any request', async () => {
    const before = web.requests.get('/v1/counter.wasm') ?? 0;
    const error = await refusal(
      server.load({ source: `${web.base}/v1/counter.wasm`, id: '../x', stateful: false }),
    );
    expect(error.code).toBe('invalid-id');
    expect(web.requests.get('/v1/counter.wasm') ?? 0).toBe(before);
  });

  it('stops a download at the time limit (source-timeout): nothing loaded or stored, the server goes on', async () => {
    await server.close();
    server = await newServer({ downloadTimeoutMs: 300 });
    const error = await refusal(server.load({ source: `${web.base}/stuck.wasm`, stateful: false }));
    expect(error.code).toBe('source-timeout');
    expect(error.message).toMatch(/stuck\.wasm did not answer in full within 0\.3 s/);
    expect(server.listComponents()).toEqual([]);
    expect((await store.list()).components).toEqual([]);
    await server.load({ source: `${web.base}/v1/counter.wasm`, stateful: false });
    expect(server.listComponents().map((c) => c.id)).toEqual(['counter']);
  });

  it('an unload of the id stops its download at once: the load is cancelled, nothing stored, the unload answered', async () => {
    const before = web.requests.get('/stuck.wasm') ?? 0;
    const loading = server.load({ source: `${web.base}/stuck.wasm`, stateful: false }).then(
      () => undefined,
      (e: unknown) => e,
    );
    for (let i = 0; i < 500 && (web.requests.get('/stuck.wasm') ?? 0) === before; i++)
      await new Promise((r) => setTimeout(r, 10));
    const started = Date.now();
    expect(await server.unloadComponent('stuck')).toBe(true);
    const error = await loading;
    expect(Date.now() - started).toBeLessThan(5000);
    expect(error).toBeInstanceOf(McpError);
    expect(error).toMatchObject({
      code: 'load-cancelled',
      message:
        'The load of stuck was cancelled by unload-component while it was downloading: nothing was loaded or stored.',
    });
    expect(server.listComponents()).toEqual([]);
    expect((await store.list()).components).toEqual([]);
    expect(await server.unloadComponent('stuck')).toBe(false);
  });

  it('restores a downloaded component from the component directory with the web server unreachable', async () => {
    await server.load({ source: `${web.base}/v1/counter.wasm`, stateful: true });
    await server.close();
    web.routes.delete('/v1/counter.wasm');
    const before = web.requests.get('/v1/counter.wasm') ?? 0;
    server = await newServer();
    await (await server.restore()).ready;
    expect(server.listComponents().map((c) => [c.id, c.state])).toEqual([['counter', 'idle']]);
    expect(web.requests.get('/v1/counter.wasm') ?? 0).toBe(before);
    web.routes.set('/v1/counter.wasm', { body: counter });
  });
});
