/**
 * Both protocol generations over stdio: the other e2e tests speak the 2025 era (`initialize`); here the
 * SDK client negotiates the modern era (`server/discover`) with the same server binary.
 */
import { Client } from '@modelcontextprotocol/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixture, serveTransport, tempDir } from './helpers.ts';

let client: Client;
let cleanup: () => Promise<void>;
let counterPath: string;

beforeAll(async () => {
  [counterPath] = (await fixture('counter')) as [string];
  const tmp = await tempDir();
  cleanup = tmp.cleanup;
  const transport = serveTransport(tmp.dir, ['--log-level', 'warn']);
  client = new Client(
    { name: 'wasmactor-modern', version: '0.0.0' },
    { versionNegotiation: { mode: 'auto' } },
  );
  await client.connect(transport);
}, 60_000);

afterAll(async () => {
  await client?.close();
  await cleanup?.();
});

describe('the modern protocol era over stdio', () => {
  it('negotiates the modern era', () => {
    expect(client.getProtocolEra()).toBe('modern');
    expect(client.getNegotiatedProtocolVersion()).toMatch(/^20\d\d-\d\d-\d\d$/);
  });

  it('loads a stateful component and keeps its state across calls', async () => {
    const loaded = await client.callTool({
      name: 'load-component',
      arguments: { path: counterPath, stateful: true },
    });
    expect(loaded.isError).toBeFalsy();
    expect((await client.listTools()).tools.map((t) => t.name)).toContain('increment');
    expect((await client.callTool({ name: 'increment', arguments: {} })).structuredContent).toEqual({
      result: 1,
    });
    expect((await client.callTool({ name: 'increment', arguments: {} })).structuredContent).toEqual({
      result: 2,
    });
    const bad = await client.callTool({ name: 'add', arguments: { n: -1 } });
    expect(bad.isError).toBe(true);
  });
});
