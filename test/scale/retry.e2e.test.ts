/**
 * What nginx sends again, decided by the shipped configuration and checked against its effects: one real
 * replica (r1) and a stand-in replica (r2, a plain HTTP server in this process) that either answers 503
 * the way a closing or saturated replica does, or reads the request and drops the connection the way a
 * replica that dies mid-call does. How many calls the real replica ran is read from its inspector.
 */
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixture, tempDir } from '../mcp/helpers.ts';
import { type Cluster, freePort, type Nginx, startCluster, startNginx } from './cluster.ts';

let cluster: Cluster;
let nginx: Nginx;
let standIn: Server;
let mode: '503' | 'drop' = '503';
/** Requests the stand-in received, by `Mcp-Method`. */
const received: string[] = [];
let client: Client;
let cleanup: (() => Promise<void>) | undefined;

async function servedByR1(): Promise<number> {
  const r1 = cluster.replicas[0];
  const body = (await (await fetch(`${r1?.inspector}/api/snapshot`)).json()) as {
    components: { id: string; served: number }[];
  };
  return body.components.find((c) => c.id === 'versioned')?.served ?? 0;
}

/**
 * Calls `call` every 50 ms until the stand-in received one more request (after a failure nginx leaves
 * it out for --fail-timeout, 1 s counted in whole seconds of its clock: up to 3 s), at most 8 s.
 * Resolves to the outcomes (the value, or the error's message).
 */
async function untilStandInHit(call: () => Promise<string>): Promise<string[]> {
  const hits = received.length;
  const outcomes: string[] = [];
  const deadline = Date.now() + 8_000;
  while (received.length === hits && Date.now() < deadline) {
    outcomes.push(await call().catch((error: Error) => error.message));
    await new Promise((r) => setTimeout(r, 50));
  }
  return outcomes;
}

async function hello(): Promise<string> {
  const result = await client.callTool({ name: 'hello', arguments: {} });
  return (result.structuredContent as { result: string }).result;
}

beforeAll(async () => {
  const [versioned] = (await fixture('versioned')) as [string];
  cluster = await startCluster({
    replicas: 1,
    inspect: true,
    components: [{ path: versioned, stateful: false }],
  });
  standIn = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (req.url === '/healthz') {
        res.end('{"status":"alive"}');
        return;
      }
      received.push(String(req.headers['mcp-method']));
      if (mode === 'drop') {
        req.socket.destroy();
        return;
      }
      res.writeHead(503, { 'content-type': 'application/json', connection: 'close' });
      res.end('{"jsonrpc":"2.0","id":null,"error":{"code":-32000,"message":"the server is shutting down"}}');
    });
  });
  // The stand-in listens only once the client is set up: its set-up requests all reach r1 (a refused
  // connection is sent on), and nothing nginx counts about the stand-in comes from them.
  const port = await freePort();
  const temp = await tempDir('wasmactor-retry-');
  cleanup = temp.cleanup;
  const r1 = cluster.replicas[0] as { id: string; port: number };
  nginx = await startNginx(join(temp.dir, 'nginx'), [r1, { id: 'r2', port }], undefined, [
    '--fail-timeout',
    '1s',
  ]);
  // modern era (2026-07-28): stateless requests, balanced (a 2025-era session would be pinned to r1)
  client = new Client({ name: 'retry', version: '0' }, { versionNegotiation: { mode: 'auto' } });
  await client.connect(new StreamableHTTPClientTransport(new URL(nginx.url)));
  await client.listTools();
  await new Promise<void>((resolve) => standIn.listen(port, '127.0.0.1', resolve));
}, 120_000);

afterAll(async () => {
  await client?.close().catch(() => undefined);
  await nginx?.kill();
  standIn?.closeAllConnections();
  await new Promise((resolve) => standIn?.close(resolve));
  await cluster?.close();
  await cleanup?.();
});

describe('what nginx sends again', () => {
  it('a tools/call whose replica dropped the connection after receiving it is not sent again: an error, not a second run', async () => {
    mode = 'drop';
    received.length = 0;
    const before = await servedByR1();
    const outcomes: string[] = [];
    for (let hit = 0; hit < 3; hit++) outcomes.push(...(await untilStandInHit(hello)));
    expect(received, 'the stand-in received three calls').toEqual(['tools/call', 'tools/call', 'tools/call']);
    const failed = outcomes.filter((o) => o !== 'Hello from versioned!');
    expect(failed).toHaveLength(3);
    for (const message of failed) expect(message).toMatch(/no wasmactor replica answered.*may have run/);
    expect(await servedByR1(), 'r1 ran only the calls that were answered').toBe(
      before + outcomes.length - failed.length,
    );
  }, 60_000);

  it('a tools/list whose replica dropped the connection is sent again (it only reads)', async () => {
    mode = 'drop';
    received.length = 0;
    const list = async () =>
      (await client.listTools()).tools.some((t) => t.name === 'hello') ? 'ok' : 'no hello';
    const outcomes: string[] = [];
    for (let hit = 0; hit < 3; hit++) outcomes.push(...(await untilStandInHit(list)));
    expect(received).toEqual(['tools/list', 'tools/list', 'tools/list']);
    expect(outcomes.filter((o) => o !== 'ok')).toEqual([]);
  }, 60_000);

  it('a 503 (the replica ran nothing) goes to another replica: every call answered, each run once', async () => {
    mode = '503';
    received.length = 0;
    const before = await servedByR1();
    const outcomes = await untilStandInHit(hello);
    expect(received, 'the stand-in answered a call with 503').toEqual(['tools/call']);
    expect(outcomes.filter((o) => o !== 'Hello from versioned!')).toEqual([]);
    expect(await servedByR1(), 'each call ran once, on r1').toBe(before + outcomes.length);
    const resent = (await nginx.accessLog()).split('\n').filter((l) => /statuses=503 : 200$/.test(l));
    expect(resent).toHaveLength(1);
    expect(resent[0]).toMatch(/^POST \/mcp 200 /);
  }, 60_000);
});
