/**
 * Components and policy files from the wassette ecosystem, end to end over a real MCP client and the
 * real server over stdio (issue 10): wassette-format policy files (`$schema`, hosts as URLs, empty
 * files), components carrying a `package-docs` section (cargo-component/wit-bindgen builds), WIT docs as
 * tool and parameter descriptions, and large 64-bit numbers given as JSON numbers.
 */
import { copyFile, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixture, resultJson, resultText, type SpawnedServer, spawnServer, tempDir } from './helpers.ts';

let server: SpawnedServer;
let wasmDir: string;
let http: Server;
let port: number;
const requests: string[] = [];
const cleanups: (() => Promise<void>)[] = [];

type CallResult = {
  isError?: boolean;
  content?: unknown;
  structuredContent?: unknown;
};

const call = (name: string, args: Record<string, unknown> = {}) =>
  server.client.callTool({ name, arguments: args }) as Promise<CallResult>;

beforeAll(async () => {
  const [documented, httpProbe, configProbe, tokens, p3] = (await fixture(
    'documented',
    'http-probe',
    'config-probe',
    'tokens',
    'p3-async',
  )) as [string, string, string, string, string];
  const dir = await tempDir('wasmactor-wassette-dir-');
  const wasm = await tempDir('wasmactor-wassette-wasm-');
  cleanups.push(dir.cleanup, wasm.cleanup);
  wasmDir = wasm.dir;
  await copyFile(documented, join(wasmDir, 'documented.wasm'));
  await copyFile(httpProbe, join(wasmDir, 'http-probe.wasm'));
  await copyFile(configProbe, join(wasmDir, 'config-probe.wasm'));
  await copyFile(tokens, join(wasmDir, 'tokens.wasm'));
  await copyFile(p3, join(wasmDir, 'p3-async.wasm'));
  http = createServer((req, res) => {
    requests.push(req.url ?? '');
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.end('hello');
  });
  port = await new Promise((done) =>
    http.listen(0, '127.0.0.1', () => done((http.address() as AddressInfo).port)),
  );
  server = await spawnServer(dir.dir, ['--env', 'WEATHER_API_KEY=k-123'], { CONFIG_HOST_ONLY: 'host' });
}, 120_000);

afterAll(async () => {
  await server?.close();
  await new Promise((done) => http?.close(done));
  for (const cleanup of cleanups) await cleanup();
});

describe('wassette policy files', () => {
  it('loads a sidecar policy with $schema and a host written as a URL with a path, and enforces it', async () => {
    const path = join(wasmDir, 'web.wasm');
    await copyFile(join(wasmDir, 'http-probe.wasm'), path);
    await writeFile(
      join(wasmDir, 'web.policy.yaml'),
      `$schema: "https://example.org/policy.schema.json"
version: "1.0"
description: "Reaches one API"
permissions:
  network:
    allow:
      - host: "http://127.0.0.1:${port}/api/v1/"
`,
    );
    const loaded = await call('load-component', { path });
    expect(loaded.isError, resultText(loaded)).toBeFalsy();
    const ok = await call('get', { url: `http://127.0.0.1:${port}/other/path` });
    expect(ok.structuredContent).toEqual({ result: { ok: '200 hello' } });
    expect(requests).toContain('/other/path');
    // the scheme is part of the grant
    const https = await call('get', { url: `https://127.0.0.1:${port}/x` });
    expect(https.isError).toBe(true);
    await call('unload-component', { id: 'web' });
  });

  it('an empty policy file is deny-all; a URL grant then allows the host and the description stops saying "deny all"', async () => {
    const path = join(wasmDir, 'quiet.wasm');
    await copyFile(join(wasmDir, 'http-probe.wasm'), path);
    await writeFile(join(wasmDir, 'quiet.policy.yaml'), '');
    const loaded = await call('load-component', { path });
    expect(loaded.isError, resultText(loaded)).toBeFalsy();
    const denied = await call('get', { url: `http://127.0.0.1:${port}/denied` });
    expect(denied.isError).toBe(true);
    expect(requests).not.toContain('/denied');

    const granted = await call('grant-network-permission', {
      component_id: 'quiet',
      details: { host: `http://127.0.0.1:${port}/` },
    });
    expect(granted.isError, resultText(granted)).toBeFalsy();
    const ok = await call('get', { url: `http://127.0.0.1:${port}/granted` });
    expect(ok.structuredContent).toEqual({ result: { ok: '200 hello' } });
    const policy = resultJson(await call('get-policy', { component_id: 'quiet' })) as { policy: string };
    expect(policy.policy).toContain(`host: "http://127.0.0.1:${port}"`);
    expect(policy.policy).not.toMatch(/deny all/i);
    await call('unload-component', { id: 'quiet' });
  });
});

describe('components with a package-docs section', () => {
  let tools: { name: string; description?: string; inputSchema: { properties?: Record<string, unknown> } }[];

  beforeAll(async () => {
    const loaded = await call('load-component', { path: join(wasmDir, 'documented.wasm') });
    expect(loaded.isError, resultText(loaded)).toBeFalsy();
    tools = (await server.client.listTools()).tools as typeof tools;
  });

  it('load and run unchanged', async () => {
    expect((await call('add', { left: 2, right: 3 })).structuredContent).toEqual({ result: 5 });
    expect((await call('local_documented_calc_sub', { a: 2, b: 5 })).structuredContent).toEqual({
      result: -3,
    });
  });

  it('function docs are the tool description, the signature follows; interface docs are kept', () => {
    const add = tools.find((t) => t.name === 'add');
    expect(add?.description).toMatch(/^Adds two numbers and returns the sum\./);
    expect(add?.description).toContain('WIT: add: func(left: u32, right: u32) -> u32');
    const sub = tools.find((t) => t.name === 'local_documented_calc_sub');
    expect(sub?.description).toMatch(/^Subtracts `b` from `a`\./);
    expect(sub?.description).toContain('Integer arithmetic on signed 32-bit numbers.');
    const undocumented = tools.find((t) => t.name === 'undocumented');
    expect(undocumented?.description).toMatch(/^WIT: undocumented/);
  });

  it('parameter docs are the schema properties’ descriptions', () => {
    const add = tools.find((t) => t.name === 'add');
    expect(add?.inputSchema.properties?.left).toMatchObject({
      type: 'integer',
      description: 'the first addend',
    });
    expect(add?.inputSchema.properties?.right).toMatchObject({ description: 'the second addend' });
    const sub = tools.find((t) => t.name === 'local_documented_calc_sub');
    expect(sub?.inputSchema.properties?.a).toMatchObject({ description: 'the number to subtract from' });
    const echo = tools.find((t) => t.name === 'echo-u64');
    expect(echo?.inputSchema.properties?.v).toMatchObject({
      description: expect.stringMatching(/^any unsigned 64-bit number\nu64: /),
    });
  });
});

describe('64-bit integers', () => {
  it('a u64 beyond 2^53 given as a JSON number gets the CLI’s message; as a string it round-trips', async () => {
    const big = await call('echo-u64', { v: 2 ** 64 - 1 });
    expect(big.isError).toBe(true);
    expect(resultText(big)).toContain(
      'argument "v": 18446744073709552000 is beyond 2^53 and cannot be exact as a JSON number: pass it as a decimal string',
    );
    const asString = await call('echo-u64', { v: '18446744073709551615' });
    expect(asString.structuredContent).toEqual({ result: '18446744073709551615' });
  });
});

describe('wasi:config/store', () => {
  beforeAll(async () => {
    const loaded = await call('load-component', { path: join(wasmDir, 'config-probe.wasm') });
    expect(loaded.isError, resultText(loaded)).toBeFalsy();
  });
  const get = async (key: string) => (await call('config-get', { key })).structuredContent;
  const all = async () => (await call('config-all')).structuredContent;

  it('is provided and shows nothing by default', async () => {
    expect(await get('WEATHER_API_KEY')).toEqual({ result: null });
    expect(await get('PATH')).toEqual({ result: null });
    expect(await all()).toEqual({ result: [] });
  });

  it('shows a key once its environment grant is given, and only that key; hides it again on revoke', async () => {
    const details = { key: 'WEATHER_API_KEY' };
    await call('grant-environment-variable-permission', { component_id: 'config-probe', details });
    expect(await get('WEATHER_API_KEY')).toEqual({ result: 'k-123' });
    expect(await get('CONFIG_HOST_ONLY')).toEqual({ result: null });
    expect(await all()).toEqual({ result: [['WEATHER_API_KEY', 'k-123']] });
    await call('grant-environment-variable-permission', {
      component_id: 'config-probe',
      details: { key: 'CONFIG_HOST_ONLY' },
    });
    expect(await get('CONFIG_HOST_ONLY')).toEqual({ result: 'host' });
    await call('revoke-environment-variable-permission', { component_id: 'config-probe', details });
    expect(await get('WEATHER_API_KEY')).toEqual({ result: null });
    expect(await all()).toEqual({ result: [['CONFIG_HOST_ONLY', 'host']] });
  });
});

describe('moved resource handles', () => {
  const tool = (name: string) => `local_tokens_vault_${name}`;
  const make = async (label: string) => {
    const made = await call(tool('token_new'), { label });
    expect(made.isError, resultText(made)).toBeFalsy();
    return (made.structuredContent as { result: number }).result;
  };

  beforeAll(async () => {
    const loaded = await call('load-component', { path: join(wasmDir, 'tokens.wasm'), stateful: true });
    expect(loaded.isError, resultText(loaded)).toBeFalsy();
  });

  it('an own<T> argument moves the handle: reusing it is an argument error naming it; the instance and its other handles live on', async () => {
    const a = await make('alpha');
    const b = await make('beta');
    expect((await call(tool('peek'), { t: a })).structuredContent).toEqual({ result: 'alpha' });
    expect((await call(tool('redeem'), { t: a })).structuredContent).toEqual({ result: 'alpha' });
    for (const reuse of [
      () => call(tool('redeem'), { t: a }),
      () => call(tool('peek'), { t: a }),
      () => call(tool('token_label'), { self: a }),
    ]) {
      const again = await reuse();
      expect(again.isError).toBe(true);
      expect(resultText(again)).toMatch(
        new RegExp(`argument "(t|self)": handle ${a} of resource "token" was moved into the component`),
      );
      expect(resultText(again)).not.toMatch(/state was lost|trap/i);
    }
    // the same instance: b still works, and so does making and redeeming more
    expect((await call(tool('token_label'), { self: b })).structuredContent).toEqual({ result: 'beta' });
    const c = await make('gamma');
    expect((await call(tool('redeem-all'), { ts: [b, c] })).structuredContent).toEqual({
      result: 'beta,gamma',
    });
    expect((await call(tool('peek'), { t: c })).isError).toBe(true);
  });

  it('a handle given twice in one call is refused before the guest runs, and stays usable', async () => {
    const d = await make('delta');
    const twice = await call(tool('redeem-all'), { ts: [d, d] });
    expect(twice.isError).toBe(true);
    expect(resultText(twice)).toContain(`argument "ts[1]": handle ${d} of resource "token" is given twice`);
    expect((await call(tool('peek'), { t: d })).structuredContent).toEqual({ result: 'delta' });
    expect((await call(tool('token_label'), { self: d })).structuredContent).toEqual({ result: 'delta' });
    expect((await call(tool('redeem'), { t: d })).structuredContent).toEqual({ result: 'delta' });
  });
});

describe('components jco cannot run', () => {
  it('a component-model async (p3) component is refused at load, saying what is unsupported', async () => {
    const refused = await call('load-component', { path: join(wasmDir, 'p3-async.wasm') });
    expect(refused.isError).toBe(true);
    expect(resultText(refused)).toMatch(/unsupported component: it uses component-model async \(WASI 0\.3/);
    expect(resultText(refused)).toContain('async function types');
    const listed = resultJson(await call('list-components')) as { components: { id: string }[] };
    expect(listed.components.map((c) => c.id)).not.toContain('p3-async');
    // the server goes on, and everything it wrote to stderr is JSON lines
    expect((await call('add', { left: 1, right: 1 })).structuredContent).toEqual({ result: 2 });
    const lines = server
      .stderr()
      .split('\n')
      .filter((l) => l.trim() !== '');
    expect(lines.length).toBeGreaterThan(0);
    for (const line of lines) expect(() => JSON.parse(line), line).not.toThrow();
  });
});

describe('tools that can never be called', () => {
  it('are listed with a description that says why, and a call is an argument error', async () => {
    const { tools } = await server.client.listTools();
    const drain = tools.find((t) => t.name === 'local_tokens_vault_drain');
    expect(drain?.description).toContain(
      'This tool cannot be called: parameter "s" takes a handle of resource "input-stream", and no function of this component returns one.',
    );
    for (const name of ['local_tokens_vault_redeem', 'local_tokens_vault_peek', 'add']) {
      expect(tools.find((t) => t.name === name)?.description).not.toContain('cannot be called');
    }
    const called = await call('local_tokens_vault_drain', { s: 1 });
    expect(called.isError).toBe(true);
    expect(resultText(called)).toMatch(/argument "s": there is no input-stream with handle 1/);
  });
});
