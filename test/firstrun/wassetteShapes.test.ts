/**
 * The built-in tools answer with today's fields plus the ones wassette's answers carry (`status`,
 * `tools_count`, `permission_type`, `details`), so that prompts written for wassette find them.
 */
import { Client, InMemoryTransport } from '@modelcontextprotocol/client';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ComponentHost } from '../../src/machines/index.ts';
import { ComponentStore, WasmactorServer } from '../../src/mcp/index.ts';
import { createRuntime } from '../../src/runtime/index.ts';
import { fixture, tempDir } from '../mcp/helpers.ts';

let server: WasmactorServer;
let client: Client;
let cleanup: () => Promise<void>;

beforeEach(async () => {
  let dir: string;
  ({ dir, cleanup } = await tempDir());
  server = new WasmactorServer({
    host: new ComponentHost({ runtime: createRuntime() }),
    store: await ComponentStore.open(dir),
  });
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  await server.createMcpServer().connect(serverSide);
  client = new Client({ name: 'wassette-shapes', version: '0.0.0' });
  await client.connect(clientSide);
});

afterEach(async () => {
  await server.close();
  await cleanup();
});

async function call(name: string, args: Record<string, unknown>): Promise<Record<string, unknown>> {
  const result = await client.callTool({ name, arguments: args });
  expect(result.isError).toBeFalsy();
  // the text is the same object as the structured content
  const text = (result.content as { type: string; text: string }[])[0]?.text ?? '';
  expect(JSON.parse(text)).toEqual(result.structuredContent);
  return result.structuredContent as Record<string, unknown>;
}

describe('wassette-shaped answers', () => {
  it('load, list, get-policy, grant, revoke, reset and unload carry wassette’s fields and today’s', async () => {
    const [counter] = (await fixture('counter')) as [string];
    const loaded = await call('load-component', { path: counter, stateful: true });
    expect(loaded).toMatchObject({
      status: 'component loaded',
      id: 'counter',
      stateful: true,
      generation: 1,
    });
    expect(loaded.tools).toEqual(expect.arrayContaining(['increment', 'get', 'trap']));

    const listed = await call('list-components', {});
    const entry = (listed.components as Record<string, unknown>[])[0] as Record<string, unknown>;
    expect(listed.total).toBe(1);
    expect(entry).toMatchObject({ id: 'counter', state: 'idle', stateful: true });
    expect(entry.tools_count).toBe((entry.tools as string[]).length);
    expect(entry.tools_count).toBeGreaterThan(0);

    expect(await call('get-policy', { component_id: 'counter' })).toMatchObject({
      status: 'policy found',
      component_id: 'counter',
      policy: expect.any(String),
    });

    const details = { host: 'api.example.com' };
    const granted = await call('grant-network-permission', { component_id: 'counter', details });
    expect(granted).toMatchObject({
      status: 'permission granted',
      component_id: 'counter',
      permission_type: 'network',
      details,
    });
    expect(JSON.stringify(granted.permissions)).toContain('api.example.com');
    expect(await call('revoke-network-permission', { component_id: 'counter', details })).toMatchObject({
      status: 'permission revoked',
      permission_type: 'network',
      details,
      permissions: expect.any(Object),
    });
    const storage = { uri: 'fs:///tmp/wasmactor-shapes', access: ['read'] };
    expect(
      await call('grant-storage-permission', { component_id: 'counter', details: storage }),
    ).toMatchObject({ status: 'permission granted', permission_type: 'storage', details: storage });
    expect(
      await call('grant-environment-variable-permission', {
        component_id: 'counter',
        details: { key: 'HOME' },
      }),
    ).toMatchObject({
      status: 'permission granted',
      permission_type: 'environment',
      details: { key: 'HOME' },
    });
    const reset = await call('reset-permission', { component_id: 'counter' });
    expect(reset).toMatchObject({ status: 'permissions reset', component_id: 'counter' });
    expect(reset).not.toHaveProperty('permission_type');

    expect(await call('unload-component', { id: 'counter' })).toEqual({
      status: 'component unloaded',
      id: 'counter',
    });
  });
});
