/**
 * MCP logging: what a user needs to see reaches their client as `notifications/message`, at the level
 * the client chose with `logging/setLevel`: loads and unloads, a fault and the fresh instance after it,
 * a refused access with the grant that would allow it, a restore problem. Never an argument or a value
 * the server holds. A real Client over an in-memory transport pair, a real ComponentHost.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Client, InMemoryTransport } from '@modelcontextprotocol/client';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ComponentHost } from '../../src/machines/index.ts';
import { ComponentStore, WasmactorServer } from '../../src/mcp/index.ts';
import { createRuntime } from '../../src/runtime/index.ts';
import { fixture, tempDir } from '../mcp/helpers.ts';

const SECRET = 'sekrit-value-never-logged';

interface Note {
  level: string;
  logger?: string;
  data: { event: string; component?: string; message: string; [k: string]: unknown };
}

let server: WasmactorServer;
let dir: string;
let cleanup: () => Promise<void>;

async function open(): Promise<void> {
  server = new WasmactorServer({
    host: new ComponentHost({ runtime: createRuntime() }),
    store: await ComponentStore.open(dir),
    availableEnv: { TOKEN: SECRET },
  });
}

/** A client whose `notifications/message` land in `notes`; `level` is sent with logging/setLevel. */
async function connect(level?: 'info' | 'warning'): Promise<{ client: Client; notes: Note[] }> {
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  await server.createMcpServer().connect(serverSide);
  const client = new Client({ name: 'logging-test', version: '0.0.0' });
  const notes: Note[] = [];
  client.setNotificationHandler('notifications/message', (notification) => {
    notes.push(notification.params as Note);
  });
  await client.connect(clientSide);
  if (level) await client.setLoggingLevel(level);
  return { client, notes };
}

beforeEach(async () => {
  ({ dir, cleanup } = await tempDir());
  await open();
});

afterEach(async () => {
  await server.close();
  await cleanup();
});

describe('notifications/message', () => {
  it('declares logging', async () => {
    const { client } = await connect();
    expect(client.getServerCapabilities()?.logging).toEqual({});
  });

  it('tells loads, a fault, the fresh instance, a refused access with its grant, and an unload', async () => {
    const [counter, probe] = (await fixture('counter', 'http-probe')) as [string, string];
    const { client, notes } = await connect('info');
    const { notes: quiet } = await connect('warning');
    await client.callTool({ name: 'load-component', arguments: { path: counter, stateful: true } });
    await client.callTool({ name: 'load-component', arguments: { path: probe } });
    // counter came first: its `get` keeps the name, the probe's is `<id>__get`
    const probeGet = (await client.listTools()).tools
      .map((t) => t.name)
      .find((n) => /^http.probe__get$/.test(n));
    expect(probeGet).toBeDefined();
    expect((await client.callTool({ name: 'trap', arguments: {} })).isError).toBe(true);
    expect((await client.callTool({ name: 'increment', arguments: {} })).structuredContent).toEqual({
      result: 1,
    });
    await client.callTool({ name: probeGet as string, arguments: { url: `http://127.0.0.1:1/${SECRET}` } });
    await client.callTool({ name: 'unload-component', arguments: { id: 'counter' } });

    await vi.waitFor(() => expect(notes.map((n) => n.data.event)).toContain('component-unloaded'));
    expect(notes.map((n) => [n.level, n.data.event, n.data.component])).toEqual([
      ['info', 'component-loaded', 'counter'],
      ['info', 'component-loaded', 'http-probe'],
      ['warning', 'component-fault', 'counter'],
      ['info', 'fresh-instance', 'counter'],
      ['warning', 'permission-denied', 'http-probe'],
      ['info', 'component-unloaded', 'counter'],
    ]);
    expect(notes.every((n) => n.logger === 'wasmactor')).toBe(true);
    const denied = notes.find((n) => n.data.event === 'permission-denied');
    expect(denied?.data.message).toBe(
      'HTTP request to http://127.0.0.1:1 denied: grant-network-permission {component_id: "http-probe", details: {host: "127.0.0.1:1"}} would allow this.',
    );
    expect(notes.find((n) => n.data.event === 'component-fault')?.data.message).toMatch(
      /The next call gets a fresh instance|state/,
    );
    // the client that asked for warnings gets only those
    expect(quiet.map((n) => n.data.event)).toEqual(['component-fault', 'permission-denied']);
    // never an argument (the URL's path) or a value the server holds
    expect(JSON.stringify(notes)).not.toContain(SECRET);
  });

  it('tells each client that connects about the entries the restore skipped', async () => {
    await mkdir(join(dir, 'broken'), { recursive: true });
    await writeFile(join(dir, 'broken', 'metadata.json'), '{ not json');
    await server.close();
    await open();
    await server.restore();
    const { notes } = await connect();
    await vi.waitFor(() => expect(notes.length).toBeGreaterThan(0));
    expect(notes[0]).toMatchObject({
      level: 'warning',
      data: {
        event: 'restore-skipped',
        component: 'broken',
        message: expect.stringMatching(/^not restored: broken: /),
      },
    });
  });
});
