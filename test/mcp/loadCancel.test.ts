/**
 * A `load-component` that the client cancels loads nothing and stores nothing (issue 16, item 12):
 * a real `Client` over an in-memory transport, a real ComponentHost on a fresh transpile cache (so the
 * load of a JS component takes long enough to be cancelled while it runs), a real component directory.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ComponentHost } from '../../src/machines/index.ts';
import { ComponentStore, McpError, WasmactorServer } from '../../src/mcp/index.ts';
import { createRuntime } from '../../src/runtime/index.ts';
import { connectInProcess, fixture, tempDir } from './helpers.ts';

let server: WasmactorServer;
let store: ComponentStore;
const cleanups: (() => Promise<void>)[] = [];

beforeEach(async () => {
  const components = await tempDir('wasmactor-cancel-');
  const cache = await tempDir('wasmactor-cancel-cache-');
  cleanups.push(components.cleanup, cache.cleanup);
  store = await ComponentStore.open(components.dir);
  server = new WasmactorServer({
    host: new ComponentHost({ runtime: createRuntime({ cacheDir: cache.dir }) }),
    store,
  });
});

afterEach(async () => {
  await server.close();
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

const connect = () => connectInProcess(server);

/** Resolves once the host has started loading `id`. */
async function loading(id: string): Promise<void> {
  for (let i = 0; i < 500; i++) {
    if (server.host.list().some((c) => c.id === id && c.state === 'loading')) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`${id} never started loading`);
}

describe('a cancelled load-component', () => {
  it('cancelled by the client while the host loads: nothing loaded, nothing stored', async () => {
    const [kitchen] = (await fixture('kitchen-sink')) as [string];
    const client = await connect();
    const controller = new AbortController();
    const answer = client
      .callTool({ name: 'load-component', arguments: { path: kitchen } }, { signal: controller.signal })
      .then(
        () => 'answered',
        () => 'rejected',
      );
    await loading('kitchen-sink');
    controller.abort();
    expect(await answer).toBe('rejected');
    // The server goes on: the cancelled load ends, and nothing of it stays.
    for (let i = 0; i < 500 && server.host.list().length > 0; i++)
      await new Promise((r) => setTimeout(r, 10));
    expect(server.host.list()).toEqual([]);
    expect((await store.list()).components).toEqual([]);
    expect((await client.listTools()).tools.map((t) => t.name)).not.toContain('echo-string');
    // and a load that is not cancelled works as before
    await client.callTool({ name: 'load-component', arguments: { path: kitchen } });
    expect((await store.list()).components.map((c) => c.metadata.id)).toEqual(['kitchen-sink']);
  });

  it('cancelled before its turn: refused with load-cancelled, nothing loaded or stored', async () => {
    const [counter] = (await fixture('counter')) as [string];
    const controller = new AbortController();
    controller.abort();
    const error = await server.loadComponent(counter, true, undefined, undefined, controller.signal).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(McpError);
    expect((error as McpError).code).toBe('load-cancelled');
    expect(server.host.list()).toEqual([]);
    expect((await store.list()).components).toEqual([]);
  });

  it('cancelled while the host reports progress: undone, nothing stored', async () => {
    const [counter] = (await fixture('counter')) as [string];
    const controller = new AbortController();
    // The progress sink runs inside the host's load: the cancel arrives while it runs.
    const error = await server
      .loadComponent(counter, false, () => controller.abort(), undefined, controller.signal)
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect((error as McpError).code).toBe('load-cancelled');
    expect(server.host.list()).toEqual([]);
    expect((await store.list()).components).toEqual([]);
  });
});
