/**
 * README: "A `load-component` the client cancels loads nothing and stores nothing (a component it was
 * replacing is left unloaded; its stored entry is as before)". A component `kitchen-sink` (the counter's
 * bytes under that file stem) is loaded and stored; a `load-component` of the real kitchen-sink (same id,
 * a JS component on a fresh transpile cache, so its load runs long enough) replaces it and is cancelled
 * by the client while the host loads it. Real Client over an in-memory transport, real host and store;
 * then a fresh server on the same component directory restores the old component as it was.
 */
import { copyFile, mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Client, InMemoryTransport } from '@modelcontextprotocol/client';
import { afterEach, describe, expect, it } from 'vitest';
import { ComponentHost } from '../../src/machines/index.ts';
import { ComponentStore, WasmactorServer } from '../../src/mcp/index.ts';
import { createRuntime, sha256 } from '../../src/runtime/index.ts';
import { fixture, tempDir } from './helpers.ts';

const servers: WasmactorServer[] = [];
const cleanups: (() => Promise<void>)[] = [];

afterEach(async () => {
  for (const server of servers.splice(0)) await server.close();
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

async function newServer(componentDir: string, cacheDir: string) {
  const store = await ComponentStore.open(componentDir);
  const server = new WasmactorServer({
    host: new ComponentHost({ runtime: createRuntime({ cacheDir }) }),
    store,
  });
  servers.push(server);
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  await server.createMcpServer().connect(serverSide);
  const client = new Client({ name: 'in-process', version: '0.0.0' });
  await client.connect(clientSide);
  return { server, store, client };
}

/** Resolves once the host is loading `id` (a reload passes through unloading first). */
async function loading(server: WasmactorServer, id: string): Promise<void> {
  for (let i = 0; i < 1_000; i++) {
    if (server.host.list().some((c) => c.id === id && c.state === 'loading')) return;
    await new Promise((r) => setTimeout(r, 5));
  }
  throw new Error(`${id} never started loading`);
}

describe('a cancelled load-component that replaces a loaded component', () => {
  it('leaves the component unloaded and its stored entry as before; a restart restores the old one', async () => {
    const [counter, kitchen] = (await fixture('counter', 'kitchen-sink')) as [string, string];
    const components = await tempDir('wasmactor-reload-cancel-');
    const cache = await tempDir('wasmactor-reload-cancel-cache-');
    const sources = await tempDir('wasmactor-reload-cancel-src-');
    cleanups.push(components.cleanup, cache.cleanup, sources.cleanup);
    // the counter's bytes under the id `kitchen-sink`
    await mkdir(join(sources.dir, 'old'));
    const oldPath = join(sources.dir, 'old', 'kitchen-sink.wasm');
    await copyFile(counter, oldPath);
    const oldSha = sha256(await readFile(oldPath));

    const { server, store, client } = await newServer(components.dir, cache.dir);
    const first = await client.callTool({
      name: 'load-component',
      arguments: { path: oldPath, stateful: true },
    });
    expect(first.isError).toBeFalsy();
    expect((await client.callTool({ name: 'add', arguments: { n: 5 } })).structuredContent).toEqual({
      result: 5,
    });
    const stored = async () =>
      (await store.list()).components.map(({ metadata }) => ({
        id: metadata.id,
        sha256: metadata.sha256,
        source: metadata.source,
        stateful: metadata.stateful,
      }));
    const before = await stored();
    expect(before).toEqual([{ id: 'kitchen-sink', sha256: oldSha, source: oldPath, stateful: true }]);

    const controller = new AbortController();
    const answer = client
      .callTool({ name: 'load-component', arguments: { path: kitchen } }, { signal: controller.signal })
      .then(
        () => 'answered',
        () => 'rejected',
      );
    await loading(server, 'kitchen-sink');
    controller.abort();
    expect(await answer).toBe('rejected');

    // Left unloaded: neither the old component nor the new one is served. (The client's promise rejects
    // at once; the server ends the load after that: waited for, at most 10 s.)
    const toolNames = async () => (await client.listTools()).tools.map((t) => t.name);
    for (let i = 0; i < 1_000 && (server.host.list().length > 0 || (await toolNames()).includes('add')); i++)
      await new Promise((r) => setTimeout(r, 10));
    expect(server.host.list()).toEqual([]);
    const tools = await toolNames();
    expect(tools).not.toContain('add');
    expect(tools).not.toContain('echo-string');
    await expect(client.callTool({ name: 'get', arguments: {} })).rejects.toThrow(/Tool get not found/);
    // Its stored entry is as before: same metadata, same bytes.
    expect(await stored()).toEqual(before);
    const [entry] = (await store.list()).components;
    expect(sha256(await readFile(entry?.wasmPath ?? ''))).toBe(oldSha);

    // A server started on the directory restores the old component (its state starts afresh).
    const restarted = await newServer(components.dir, cache.dir);
    const report = await restarted.server.restore();
    expect(report.skipped).toEqual([]);
    await report.ready;
    expect(report.failed).toEqual([]);
    expect((await restarted.client.callTool({ name: 'get', arguments: {} })).structuredContent).toEqual({
      result: 0,
    });
  }, 120_000);
});
