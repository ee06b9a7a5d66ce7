/**
 * `wasmactor serve --http` end to end over real HTTP on loopback, with independent clients on one server:
 * the SDK v2 client in the modern era (2026-07-28, `server/discover`, `subscriptions/listen`), the same
 * client pinned to the 2025 era (`initialize`, `Mcp-Session-Id`, GET stream, DELETE), and raw `fetch`.
 * `tools/list_changed` must reach every listener: the modern listen stream, the 2025 client's GET stream
 * and a raw GET stream.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { fixture } from '../mcp/helpers.ts';
import { initializeSession, MCP_HEADERS, serveHttpPerFile } from './helpers.ts';

const server = serveHttpPerFile('r7');
let counterPath: string;

beforeAll(async () => {
  [counterPath] = (await fixture('counter')) as [string];
}, 60_000);

/** An SDK client over HTTP; `seen` records the tool names of each tools/list_changed it handled (debounce off). */
async function connect(mode: 'auto' | 'legacy') {
  const seen: string[][] = [];
  const { client, transport } = await server.connect(mode, {
    listChanged: {
      tools: { debounceMs: 0, onChanged: (_error, tools) => seen.push((tools ?? []).map((t) => t.name)) },
    },
  });
  return { client, transport, seen };
}

/** Reads SSE `data:` lines of `body` until one has `method`; rejects after `ms`. */
async function waitForEvent(body: ReadableStream<Uint8Array>, method: string, ms = 10_000): Promise<unknown> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  const timer = setTimeout(() => void reader.cancel(), ms);
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) throw new Error(`the stream ended without ${method}; got: ${buffer}`);
      buffer += decoder.decode(value, { stream: true });
      for (const line of buffer.split('\n')) {
        if (!line.startsWith('data:')) continue;
        const message = JSON.parse(line.slice(5)) as { method?: string };
        if (message.method === method) return message;
      }
    }
  } finally {
    clearTimeout(timer);
    void reader.cancel().catch(() => {});
  }
}

describe('serve --http', () => {
  it('prints its address and answers /healthz and, once restored, /readyz', async () => {
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/mcp$/);
    expect((await fetch(`${server.base}/healthz`)).status).toBe(200);
    await expect
      .poll(async () => (await fetch(`${server.base}/readyz`)).status, { timeout: 10_000 })
      .toBe(200);
  });

  it('serves both eras; a load by the modern client reaches every listener with tools/list_changed', async () => {
    const modern = await connect('auto');
    expect(modern.client.getProtocolEra()).toBe('modern');
    const legacy = await connect('legacy');
    expect(legacy.client.getProtocolEra()).toBe('legacy');
    expect(legacy.transport.sessionId).toMatch(/^r7\.[A-Za-z0-9_-]{22}$/);

    // A raw 2025-era session listening on its GET stream.
    const { sessionId } = await initializeSession(server.url);
    await fetch(server.url, {
      method: 'POST',
      headers: {
        ...MCP_HEADERS,
        'mcp-session-id': sessionId as string,
        'mcp-protocol-version': '2025-06-18',
      },
      body: JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }),
    });
    const get = await fetch(server.url, {
      headers: {
        accept: 'text/event-stream',
        'mcp-session-id': sessionId as string,
        'mcp-protocol-version': '2025-06-18',
      },
    });
    expect(get.status).toBe(200);
    const rawNotice = waitForEvent(
      get.body as ReadableStream<Uint8Array>,
      'notifications/tools/list_changed',
    );

    const loaded = await modern.client.callTool({
      name: 'load-component',
      arguments: { path: counterPath, stateful: true },
    });
    expect(loaded.isError).toBeFalsy();
    await expect(rawNotice).resolves.toMatchObject({ method: 'notifications/tools/list_changed' });
    await expect
      .poll(() => modern.seen.some((names) => names.includes('increment')), { timeout: 10_000 })
      .toBe(true);
    await expect
      .poll(() => legacy.seen.some((names) => names.includes('increment')), { timeout: 10_000 })
      .toBe(true);

    // One component host behind both eras: the stateful counter counts the calls of both.
    expect((await modern.client.callTool({ name: 'increment', arguments: {} })).structuredContent).toEqual({
      result: 1,
    });
    expect((await legacy.client.callTool({ name: 'increment', arguments: {} })).structuredContent).toEqual({
      result: 2,
    });
    const bad = await legacy.client.callTool({ name: 'add', arguments: { n: -1 } });
    expect(bad.isError).toBe(true);
  });

  it('ends a 2025-era session on DELETE: its id then gets 404', async () => {
    const { sessionId } = await initializeSession(server.url);
    const headers = {
      ...MCP_HEADERS,
      'mcp-session-id': sessionId as string,
      'mcp-protocol-version': '2025-06-18',
    };
    const list = JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'tools/list', params: {} });
    expect((await fetch(server.url, { method: 'POST', headers, body: list })).status).toBe(200);
    expect((await fetch(server.url, { method: 'DELETE', headers })).status).toBe(200);
    expect((await fetch(server.url, { method: 'POST', headers, body: list })).status).toBe(404);
  });
});
