/**
 * End to end over real stdio: `node bin/wasmactor.js serve` spawned as a child process, driven by the
 * MCP SDK `Client`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  BUILTIN_TOOLS,
  fixture,
  resultJson,
  resultText,
  type SpawnedServer,
  spawnServer,
  tempDir,
} from './helpers.ts';

let server: SpawnedServer;
let cleanup: () => Promise<void>;
let counterPath: string;
let probePath: string;
let storePath: string;

beforeAll(async () => {
  [counterPath, probePath, storePath] = (await fixture('counter', 'wasi-probe', 'store')) as [
    string,
    string,
    string,
  ];
  const tmp = await tempDir();
  cleanup = tmp.cleanup;
  server = await spawnServer(tmp.dir);
}, 180_000);

afterAll(async () => {
  await server?.close();
  await cleanup?.();
});

async function toolNames(): Promise<string[]> {
  return (await server.client.listTools()).tools.map((t) => t.name);
}

async function call(name: string, args: Record<string, unknown> = {}) {
  return server.client.callTool({ name, arguments: args });
}

describe('wasmactor serve over stdio', () => {
  it('lists the wassette-compatible built-in tools', async () => {
    const names = await toolNames();
    for (const builtin of BUILTIN_TOOLS) {
      expect(names).toContain(builtin);
    }
    const load = (await server.client.listTools()).tools.find((t) => t.name === 'load-component');
    expect(load?.inputSchema.properties).toHaveProperty('stateful');
  });

  it('loads a stateful counter, sending tools/list_changed before the load response', async () => {
    const before = server.received.length;
    const result = await call('load-component', { path: counterPath, stateful: true });
    expect(result.isError).toBeFalsy();
    expect(resultJson(result)).toMatchObject({ status: 'component loaded', id: 'counter', stateful: true });
    const window = server.received.slice(before);
    const changed = window.findIndex((m) => m.method === 'notifications/tools/list_changed');
    const response = window.findIndex((m) => m.id !== undefined && m.result !== undefined);
    expect(changed).toBeGreaterThanOrEqual(0);
    expect(response).toBeGreaterThan(changed);
    const tools = (await server.client.listTools()).tools;
    const add = tools.find((t) => t.name === 'add');
    expect(add?.inputSchema).toMatchObject({ type: 'object', required: ['n'] });
    expect(add?.outputSchema).toMatchObject({ type: 'object', properties: { result: expect.any(Object) } });
    expect(tools.map((t) => t.name)).toEqual(
      expect.arrayContaining(['increment', 'get', 'trap', 'increment-slowly']),
    );
  });

  it('serves 200 concurrent calls of the stateful counter one at a time: exactly 1..200', async () => {
    const results = await Promise.all(Array.from({ length: 200 }, () => call('increment')));
    const values = results.map((r) => (r.structuredContent as { result: number }).result);
    expect(values.every((_, i) => results[i]?.isError !== true)).toBe(true);
    expect([...values].sort((a, b) => a - b)).toEqual(Array.from({ length: 200 }, (_, i) => i + 1));
    // the text content carries the same value as JSON
    expect(resultJson(results[0] as { content: unknown })).toBe(values[0]);
  }, 60_000);

  it('reloading gives a fresh instance (count back to 0) and says so', async () => {
    const result = await call('load-component', { path: counterPath, stateful: true });
    expect(resultJson(result)).toMatchObject({ status: 'component reloaded', reloaded: true });
    expect((await call('get')).structuredContent).toEqual({ result: 0 });
  });

  it('rejects arguments of the wrong type or out of range with isError naming the argument', async () => {
    const wrongType = await call('add', { n: 'three' });
    expect(wrongType.isError).toBe(true);
    expect(resultText(wrongType)).toMatch(/\bn\b/);
    const negative = await call('add', { n: -1 });
    expect(negative.isError).toBe(true);
    expect(resultText(negative)).toMatch(/\bn\b/);
    const missing = await call('add', {});
    expect(missing.isError).toBe(true);
    expect(resultText(missing)).toMatch(/\bn\b/);
    // nothing reached the guest
    expect((await call('get')).structuredContent).toEqual({ result: 0 });
  });

  it('answers an unknown tool with a protocol error', async () => {
    await expect(call('no-such-tool')).rejects.toThrow(/no-such-tool/);
  });

  it('survives a trap: isError says the state was lost, and the next call gets a fresh instance', async () => {
    await call('add', { n: 5 });
    const trapped = await call('trap');
    expect(trapped.isError).toBe(true);
    expect(resultText(trapped)).toMatch(/state/i);
    expect((await call('get')).structuredContent).toEqual({ result: 0 });
    expect((await call('increment')).structuredContent).toEqual({ result: 1 });
  });

  it('list-components shows id, stateful flag, state, generation, tools and counters', async () => {
    const listed = resultJson(await call('list-components')) as { components: Record<string, unknown>[] };
    const counter = listed.components.find((c) => c.id === 'counter');
    expect(counter).toMatchObject({ stateful: true, state: expect.any(String), queueLength: 0 });
    expect(counter?.generation).toBeGreaterThanOrEqual(2);
    expect(counter?.served).toBeGreaterThan(200);
    expect(counter?.failed).toBeGreaterThanOrEqual(1);
    expect(counter?.tools).toEqual(expect.arrayContaining(['increment', 'add']));
  });

  it('a stateless load gives every call fresh state', async () => {
    const result = await call('load-component', { path: `file://${counterPath}`, stateful: false });
    expect(resultJson(result)).toMatchObject({ id: 'counter', stateful: false });
    const values = await Promise.all(Array.from({ length: 5 }, () => call('increment')));
    expect(values.map((v) => v.structuredContent)).toEqual(Array(5).fill({ result: 1 }));
  });

  it('answers a source it cannot use with a clear message, and keeps serving', async () => {
    // `.invalid` never resolves (RFC 6761): no network is used.
    const https = await call('load-component', { path: 'https://nothing.invalid/x.wasm' });
    expect(https.isError).toBe(true);
    expect(resultText(https)).toMatch(/^Cannot load https:\/\/nothing\.invalid\/x\.wasm: .*nothing\.invalid/);
    const plain = await call('load-component', { path: 'http://example.com/x.wasm' });
    expect(resultText(plain)).toMatch(/plain http:\/\/ is only allowed for loopback hosts .*use https:\/\//);
    const missing = await call('load-component', { path: '/nonexistent/nothing.wasm' });
    expect(missing.isError).toBe(true);
    expect(resultText(missing)).toMatch(/no such file/);
  });

  it('unload removes the tools (list_changed first), and their calls become protocol errors', async () => {
    const before = server.received.length;
    const result = await call('unload-component', { id: 'counter' });
    expect(result.isError).toBeFalsy();
    const window = server.received.slice(before);
    const changed = window.findIndex((m) => m.method === 'notifications/tools/list_changed');
    const response = window.findIndex((m) => m.id !== undefined && m.result !== undefined);
    expect(changed).toBeGreaterThanOrEqual(0);
    expect(response).toBeGreaterThan(changed);
    expect(await toolNames()).not.toContain('increment');
    await expect(call('increment')).rejects.toThrow(/increment/);
    const again = await call('unload-component', { id: 'counter' });
    expect(again.isError).toBe(true);
  });

  it('a guest that prints to stdout never corrupts the protocol stream; its output comes with the result', async () => {
    const loaded = await call('load-component', { path: probePath });
    expect(loaded.isError).toBeFalsy();
    const printed = await call('print', {
      out: 'hello from the guest\n{"jsonrpc":"2.0"}\n',
      err: 'warning!',
    });
    expect(printed.isError).toBeFalsy();
    expect(printed._meta?.['wasmactor/output']).toMatchObject({
      stdout: 'hello from the guest\n{"jsonrpc":"2.0"}\n',
      stderr: 'warning!',
    });
    const texts = (printed.content as { text: string }[]).map((c) => c.text);
    expect(texts.some((t) => t.startsWith('[stdout]') && t.includes('hello from the guest'))).toBe(true);
    // every message on the wire was valid JSON-RPC, and the connection still works
    expect(server.received.every((m) => typeof m === 'object' && m !== null)).toBe(true);
    expect((await call('list-components')).isError).toBeFalsy();
    expect(server.stderr()).not.toContain('hello from the guest');
  }, 120_000);

  it('get-policy shows deny-all; a permission tool grants and answers with the resulting permissions', async () => {
    const policy = resultJson(await call('get-policy', { component_id: 'wasi-probe' })) as { policy: string };
    expect(policy.policy).toMatch(/permissions: \{\}/);
    expect((await call('get-env', { key: 'HOME' })).structuredContent).toEqual({ result: null });
    const grant = await call('grant-environment-variable-permission', {
      component_id: 'wasi-probe',
      details: { key: 'HOME' },
    });
    expect(grant.isError).toBeFalsy();
    expect(resultJson(grant)).toEqual({
      status: 'permission granted',
      permission_type: 'environment',
      details: { key: 'HOME' },
      component_id: 'wasi-probe',
      permissions: { environment: { allow: [{ key: 'HOME' }] } },
    });
    expect((await call('get-env', { key: 'HOME' })).structuredContent).toEqual({ result: process.env.HOME });
    const reset = await call('reset-permission', { component_id: 'wasi-probe' });
    expect(resultJson(reset)).toEqual({
      status: 'permissions reset',
      component_id: 'wasi-probe',
      permissions: {},
    });
    expect((await call('get-env', { key: 'HOME' })).structuredContent).toEqual({ result: null });
  });

  it('reports progress while a load runs, when the client asks for it', async () => {
    const steps: { progress: number; total?: number; message?: string }[] = [];
    const result = await server.client.callTool(
      { name: 'load-component', arguments: { path: storePath, stateful: true } },
      { onprogress: (p) => steps.push(p) },
    );
    expect(result.isError).toBeFalsy();
    expect(steps.length).toBeGreaterThanOrEqual(1);
    expect(steps.at(-1)).toMatchObject({ progress: expect.any(Number), total: expect.any(Number) });
    expect((await call('set', { key: 'k', value: 'v' })).structuredContent).toEqual({ result: null });
    expect((await call('keys')).structuredContent).toEqual({ result: ['k'] });
  }, 120_000);

  it('a cancelled call reaches the actor as a cancel and the server keeps serving', async () => {
    const loaded = resultJson(await call('load-component', { path: counterPath, stateful: true })) as {
      tools: string[];
    };
    // store was loaded first and exports `get` too: both stay callable, the later one under `<id>__get`
    expect(loaded.tools).toContain('counter__get');
    const controller = new AbortController();
    const slow = server.client.callTool(
      { name: 'increment-slowly', arguments: { ms: 8000 } },
      { signal: controller.signal },
    );
    setTimeout(() => controller.abort('changed my mind'), 200);
    const started = Date.now();
    await expect(slow).rejects.toThrow();
    // The caller is answered at once, long before the 8 s call inside the instance ends.
    expect(Date.now() - started).toBeLessThan(6000);
    // the stateful call in flight finishes inside the instance; later calls queue behind it
    expect((await call('counter__get')).isError).toBeFalsy();
    expect((await call('get', { key: 'k' })).structuredContent).toEqual({ result: 'v' });
    const listed = resultJson(await call('list-components')) as {
      components: { id: string; failed: number }[];
    };
    expect(listed.components.find((c) => c.id === 'counter')?.failed).toBeGreaterThanOrEqual(1);
  }, 30_000);

  it('takes a request larger than the SDK default stdio buffer (10 MiB) and answers it', async () => {
    expect((await call('load-component', { path: storePath, stateful: true })).isError).toBeFalsy();
    const big = 'x'.repeat(12 * 1024 * 1024);
    expect((await call('set', { key: 'big', value: big })).isError).toBeFalsy();
    expect((await call('count')).structuredContent).toEqual({ result: 1 });
  }, 60_000);

  it('names the tool and the argument when the runtime refuses an argument the input schema let through', async () => {
    expect((await call('load-component', { path: storePath, stateful: true })).isError).toBeFalsy();
    // A lone surrogate is a JSON string, so the SDK's schema check passes it; the runtime refuses it.
    const refused = await call('set', { key: '\uD800', value: 'v' });
    expect(refused.isError).toBe(true);
    expect(resultText(refused)).toMatch(/^Invalid arguments for tool set: argument "key": .*lone surrogate/);
    expect((await call('count')).structuredContent).toEqual({ result: 0 });
  }, 60_000);
});
