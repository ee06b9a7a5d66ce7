/**
 * The MCP layer in one process: a real `Client` over an in-memory transport pair, a real ComponentHost.
 */
import { Client, InMemoryTransport } from '@modelcontextprotocol/client';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ComponentHost } from '../../src/machines/index.ts';
import { ComponentStore, WasmactorServer } from '../../src/mcp/index.ts';
import { createRuntime } from '../../src/runtime/index.ts';
import { fixture, tempDir } from './helpers.ts';

let server: WasmactorServer;
let cleanup: () => Promise<void>;
let dir: string;

async function connect(): Promise<Client> {
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  await server.createMcpServer().connect(serverSide);
  const client = new Client({ name: 'in-process', version: '0.0.0' });
  await client.connect(clientSide);
  return client;
}

beforeEach(async () => {
  ({ dir, cleanup } = await tempDir());
  server = new WasmactorServer({
    host: new ComponentHost({ runtime: createRuntime() }),
    store: await ComponentStore.open(dir),
  });
});

afterEach(async () => {
  await server.close();
  await cleanup();
});

describe('WasmactorServer', () => {
  it('keeps the tools of every connected client in step and tells each one', async () => {
    const [counter] = (await fixture('counter')) as [string];
    const a = await connect();
    const b = await connect();
    let bChanged = 0;
    b.setNotificationHandler('notifications/tools/list_changed', () => {
      bChanged++;
    });
    await a.callTool({ name: 'load-component', arguments: { path: counter, stateful: true } });
    expect((await b.listTools()).tools.map((t) => t.name)).toContain('increment');
    expect(bChanged).toBeGreaterThanOrEqual(1);
    expect((await b.callTool({ name: 'increment', arguments: {} })).structuredContent).toEqual({ result: 1 });
    expect((await a.callTool({ name: 'increment', arguments: {} })).structuredContent).toEqual({ result: 2 });
    await b.callTool({ name: 'unload-component', arguments: { id: 'counter' } });
    expect((await a.listTools()).tools.map((t) => t.name)).not.toContain('increment');
    expect((await ComponentStore.open(dir).then((s) => s.list())).components).toEqual([]);
  });

  it('restores from the component directory: tools listed at once, a call made right away is served fresh', async () => {
    const [counter] = (await fixture('counter')) as [string];
    await server.loadComponent(counter, true);
    await server.close();
    server = new WasmactorServer({
      host: new ComponentHost({ runtime: createRuntime() }),
      store: await ComponentStore.open(dir),
    });
    const { restored, ready } = await server.restore();
    expect(restored).toEqual(['counter']);
    const client = await connect();
    expect((await client.listTools()).tools.map((t) => t.name)).toContain('increment');
    const first = client.callTool({ name: 'increment', arguments: {} });
    await ready;
    expect((await first).structuredContent).toEqual({ result: 1 });
  });
});
