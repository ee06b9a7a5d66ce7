/**
 * Per-agent instances end to end over stdio with the SDK client in the modern era: the client mirrors
 * `_instance` into `Mcp-Param-Instance` by itself (recorded where it hands the message to its transport:
 * stdio carries no headers, HTTP does), and `--replica-id` / `--instance-idle` reach the server.
 */
import { Client } from '@modelcontextprotocol/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixture, resultJson, resultText, serveTransport, tempDir } from './helpers.ts';

let client: Client;
let cleanup: () => Promise<void>;
let counterPath: string;
const sent: { name: string; headers?: Record<string, string> }[] = [];

beforeAll(async () => {
  [counterPath] = (await fixture('counter')) as [string];
  const tmp = await tempDir();
  cleanup = tmp.cleanup;
  const transport = serveTransport(tmp.dir, [
    '--log-level',
    'warn',
    '--replica-id',
    'e2e',
    '--instance-idle',
    '1s',
  ]);
  // The client hands `{ headers }` to its transport's `send` (typed with the message only: stdio drops them).
  type Send = (message: unknown, options?: { headers?: Record<string, string> }) => Promise<void>;
  const send = transport.send.bind(transport) as Send;
  const recording: Send = (message, options) => {
    const m = message as { method?: string; params?: { name?: string } };
    if (m.method === 'tools/call') {
      sent.push({ name: m.params?.name ?? '', ...(options?.headers ? { headers: options.headers } : {}) });
    }
    return send(message, options);
  };
  transport.send = recording as typeof transport.send;
  client = new Client({ name: 'agent', version: '0.0.0' }, { versionNegotiation: { mode: 'auto' } });
  await client.connect(transport);
}, 60_000);

afterAll(async () => {
  await client?.close();
  await cleanup?.();
});

type Result = Awaited<ReturnType<Client['callTool']>>;
const value = (r: Result) => (r.structuredContent as { result?: unknown } | undefined)?.result;

describe('per-agent instances over stdio (modern era)', () => {
  it('mirrors _instance into Mcp-Param-Instance and serves the handle of --replica-id', async () => {
    expect(client.getProtocolEra()).toBe('modern');
    await client.callTool({ name: 'load-component', arguments: { path: counterPath, stateful: true } });
    await client.listTools();
    const opened = await client.callTool({ name: 'open-instance', arguments: { component_id: 'counter' } });
    expect(opened.isError, resultText(opened)).toBeFalsy();
    const handle = (resultJson(opened) as { instance: string }).instance;
    expect(handle).toMatch(/^e2e\.[A-Za-z0-9_-]{22}$/);
    expect(value(await client.callTool({ name: 'increment', arguments: { _instance: handle } }))).toBe(1);
    expect(value(await client.callTool({ name: 'increment', arguments: {} }))).toBe(1);
    const increments = sent.filter((s) => s.name === 'increment');
    expect(increments[0]?.headers?.['Mcp-Param-Instance']).toBe(handle);
    expect(increments[1]?.headers?.['Mcp-Param-Instance']).toBeUndefined();
  });

  it('expires an instance after --instance-idle without calls', async () => {
    const opened = await client.callTool({ name: 'open-instance', arguments: { component_id: 'counter' } });
    const handle = (resultJson(opened) as { instance: string }).instance;
    expect(value(await client.callTool({ name: 'increment', arguments: { _instance: handle } }))).toBe(1);
    await new Promise((r) => setTimeout(r, 2_500));
    const expired = await client.callTool({ name: 'get', arguments: { _instance: handle } });
    expect(expired.isError).toBe(true);
    expect(resultText(expired)).toContain('expired');
  });
});
