/**
 * A replica that starts shutting down answers the requests it is already serving with
 * `Connection: close`: a proxy that keeps connections alive (nginx) must not write the next request on
 * a connection the replica is about to close (for a POST, nginx could not send it elsewhere).
 */
import { request } from 'node:http';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { fixture } from '../mcp/helpers.ts';
import { type Cluster, startCluster } from './cluster.ts';

let cluster: Cluster;

beforeAll(async () => {
  const [counter] = (await fixture('counter')) as [string];
  cluster = await startCluster({ replicas: 1, components: [{ path: counter, stateful: true }] });
}, 120_000);

afterAll(() => cluster?.close());

/** A raw 2026-07-28 tools/call on a kept-alive connection; resolves to the status and Connection header. */
function call(base: string, name: string, args: Record<string, unknown>) {
  const body = JSON.stringify({
    jsonrpc: '2.0',
    id: 1,
    method: 'tools/call',
    params: {
      name,
      arguments: args,
      _meta: {
        'io.modelcontextprotocol/protocolVersion': '2026-07-28',
        'io.modelcontextprotocol/clientCapabilities': {},
        'io.modelcontextprotocol/clientInfo': { name: 'raw', version: '0' },
      },
    },
  });
  return new Promise<{ status: number; connection: string | undefined; text: string }>((resolve, reject) => {
    const req = request(
      `${base}/mcp`,
      {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          accept: 'application/json, text/event-stream',
          'mcp-protocol-version': '2026-07-28',
          'mcp-method': 'tools/call',
          'mcp-name': name,
          connection: 'keep-alive',
        },
      },
      (res) => {
        let text = '';
        res.on('data', (c: Buffer) => {
          text += c.toString('utf8');
        });
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, connection: res.headers.connection, text }),
        );
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

it('answers the call in flight at SIGTERM with Connection: close (and keeps connections alive before)', async () => {
  const replica = cluster.replicas[0];
  if (!replica) throw new Error('no replica');
  const before = await call(replica.base, 'get', {});
  expect(before.status).toBe(200);
  expect(before.connection).toBe('keep-alive');
  const slow = call(replica.base, 'increment-slowly', { ms: 1500 });
  await new Promise((r) => setTimeout(r, 500));
  const exited = replica.stop();
  const answer = await slow;
  expect(answer.status, answer.text).toBe(200);
  expect(answer.text).toMatch(/"result":1/);
  expect(answer.connection).toBe('close');
  expect(await exited).toBe(0);
});
