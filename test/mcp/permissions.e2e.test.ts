/**
 * Permissions end to end: the real server over stdio, the `wasi-probe` and `http-probe` fixtures, real
 * files in temporary folders and a real HTTP server on 127.0.0.1. Everything is denied by default,
 * allowed after its grant, denied again after revoke or reset; escapes are refused; bad policy files
 * are refused naming the field; grants survive a SIGKILL of the server; a memory cap stops a guest,
 * not the server; secrets reach only their component.
 */
import { execFile } from 'node:child_process';
import { copyFile, mkdir, readFile, symlink, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  BIN,
  fixture,
  REPO_ROOT,
  resultJson,
  resultText,
  type SpawnedServer,
  spawnServer,
  tempDir,
} from './helpers.ts';

const run = promisify(execFile);

let server: SpawnedServer;
const cleanups: (() => Promise<void>)[] = [];
/** Component directory of the server. */
let componentDir: string;
/** Folder of the .wasm files (copies of the fixtures) and their policy files. */
let wasmDir: string;
/** Folder with `granted/` and `outside/`. */
let data: string;
/** XDG_CONFIG_HOME of the server and the `secret` CLI (secrets live under it). */
let configHome: string;
let probePath: string;
let httpProbePath: string;
let http: Server;
let otherHttp: Server;
let port: number;
let otherPort: number;
/** Requests the HTTP servers saw: the proof that a request went out or did not. */
const requests: string[] = [];

function listen(s: Server): Promise<number> {
  return new Promise((done) => s.listen(0, '127.0.0.1', () => done((s.address() as AddressInfo).port)));
}

async function temp(prefix: string): Promise<string> {
  const t = await tempDir(prefix);
  cleanups.push(t.cleanup);
  return t.dir;
}

beforeAll(async () => {
  const [probe, httpProbe] = (await fixture('wasi-probe', 'http-probe')) as [string, string];
  componentDir = await temp('wasmactor-perm-dir-');
  wasmDir = await temp('wasmactor-perm-wasm-');
  data = await temp('wasmactor-perm-data-');
  configHome = await temp('wasmactor-perm-config-');
  probePath = join(wasmDir, 'wasi-probe.wasm');
  httpProbePath = join(wasmDir, 'http-probe.wasm');
  await copyFile(probe, probePath);
  await copyFile(httpProbe, httpProbePath);
  await mkdir(join(data, 'granted', 'sub'), { recursive: true });
  await mkdir(join(data, 'outside'));
  await writeFile(join(data, 'granted', 'inside.txt'), 'inside');
  await writeFile(join(data, 'outside', 'secret.txt'), 'outside secret');
  await symlink(join(data, 'outside', 'secret.txt'), join(data, 'granted', 'link'));
  await symlink(join(data, 'outside'), join(data, 'granted', 'dirlink'));

  const handler = (name: string) =>
    createServer((req, res) => {
      requests.push(`${name} ${req.url}`);
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end(`hello from ${name}`);
    });
  http = handler('main');
  otherHttp = handler('other');
  port = await listen(http);
  otherPort = await listen(otherHttp);

  server = await spawnServer(componentDir, ['--env', 'PERM_TEST_VALUE=from-env'], {
    XDG_CONFIG_HOME: configHome,
  });
  for (const path of [probePath, httpProbePath]) {
    const loaded = await server.client.callTool({ name: 'load-component', arguments: { path } });
    expect(loaded.isError, resultText(loaded)).toBeFalsy();
  }
}, 180_000);

afterAll(async () => {
  await server?.close();
  http?.close();
  otherHttp?.close();
  for (const cleanup of cleanups) await cleanup();
});

async function call(name: string, args: Record<string, unknown> = {}) {
  return server.client.callTool({ name, arguments: args });
}

/** The texts of every content item. */
function texts(result: { content?: unknown }): string[] {
  return (result.content as { text?: string }[]).map((c) => c.text ?? '');
}

async function expectOk(name: string, args: Record<string, unknown> = {}) {
  const result = await call(name, args);
  expect(result.isError, texts(result).join('\n')).toBeFalsy();
  return result;
}

async function grant(kind: 'storage' | 'network' | 'environment-variable', id: string, details: object) {
  const result = await call(`grant-${kind}-permission`, { component_id: id, details });
  expect(result.isError, resultText(result)).toBeFalsy();
  return resultJson(result) as { component_id: string; permissions: Record<string, unknown>; note?: string };
}

async function revoke(kind: 'storage' | 'network' | 'environment-variable', id: string, details: object) {
  const result = await call(`revoke-${kind}-permission`, { component_id: id, details });
  expect(result.isError, resultText(result)).toBeFalsy();
  return resultJson(result) as { permissions: Record<string, unknown> };
}

const granted = () => join(data, 'granted');
const outside = () => join(data, 'outside');
const fsUri = (path: string) => `fs://${path}`;

describe('storage', () => {
  it('is denied by default', async () => {
    const read = await call('read-file', { path: join(granted(), 'inside.txt') });
    expect(read.isError).toBe(true);
    expect(read.structuredContent).toEqual({ result: { err: expect.stringContaining('no preopen') } });
  });

  it('read grant: reads inside, refuses writes and names the grant that would allow them', async () => {
    const answer = await grant('storage', 'wasi-probe', { uri: fsUri(granted()), access: ['read'] });
    expect(answer.permissions).toEqual({ storage: { allow: [{ uri: fsUri(granted()), access: ['read'] }] } });
    expect((await expectOk('read-file', { path: join(granted(), 'inside.txt') })).structuredContent).toEqual({
      result: { ok: 'inside' },
    });
    const write = await call('write-file', { path: join(granted(), 'inside.txt'), contents: 'changed' });
    expect(write.isError).toBe(true);
    expect(write.structuredContent).toEqual({ result: { err: 'read-only' } });
    expect(texts(write)).toContain(
      `Write to ${fsUri(granted())} denied (read-only grant): grant-storage-permission {component_id: "wasi-probe", details: {uri: "${fsUri(granted())}", access: ["read", "write"]}} would allow this.`,
    );
    const created = await call('write-file', { path: join(granted(), 'new.txt'), contents: 'x' });
    expect(created.isError).toBe(true);
    expect(await readFile(join(granted(), 'inside.txt'), 'utf8')).toBe('inside');
  });

  it('refuses escapes from a granted directory: .., absolute paths outside, symlinks pointing outside', async () => {
    const attempts = [
      join(granted(), '..', 'outside', 'secret.txt'),
      `${granted()}/../outside/secret.txt`,
      `${granted()}/sub/../../outside/secret.txt`,
      join(outside(), 'secret.txt'),
      '/etc/passwd',
      join(granted(), 'link'),
      join(granted(), 'dirlink', 'secret.txt'),
    ];
    for (const path of attempts) {
      const read = await call('read-file', { path });
      expect(read.isError, path).toBe(true);
      expect(JSON.stringify(read.structuredContent), path).not.toContain('outside secret');
    }
    const listing = await call('list-dir', { path: `${granted()}/..` });
    expect(listing.isError).toBe(true);
  });

  it('write grant: writes inside; a rename out of the preopen is refused and moves nothing', async () => {
    const answer = await grant('storage', 'wasi-probe', { uri: fsUri(granted()), access: ['write'] });
    expect(answer.permissions).toEqual({
      storage: { allow: [{ uri: fsUri(granted()), access: ['read', 'write'] }] },
    });
    await expectOk('write-file', { path: join(granted(), 'a.txt'), contents: 'written by the guest' });
    expect(await readFile(join(granted(), 'a.txt'), 'utf8')).toBe('written by the guest');
    for (const to of [
      join(outside(), 'a.txt'),
      `${granted()}/../outside/a.txt`,
      join(granted(), 'dirlink', 'a.txt'),
    ]) {
      const moved = await call('rename', { from: join(granted(), 'a.txt'), to });
      expect(moved.isError, to).toBe(true);
    }
    expect(await readFile(join(granted(), 'a.txt'), 'utf8')).toBe('written by the guest');
    await expect(readFile(join(outside(), 'a.txt'), 'utf8')).rejects.toThrow();
    const escaped = await call('write-file', { path: `${granted()}/../outside/b.txt`, contents: 'x' });
    expect(escaped.isError).toBe(true);
    await expect(readFile(join(outside(), 'b.txt'), 'utf8')).rejects.toThrow();
  });

  it('is denied again after revoke', async () => {
    const answer = await revoke('storage', 'wasi-probe', { uri: fsUri(granted()) });
    expect(answer.permissions).toEqual({});
    const read = await call('read-file', { path: join(granted(), 'inside.txt') });
    expect(read.isError).toBe(true);
  });
});

describe('environment', () => {
  it('is denied by default, allowed after its grant, denied after revoke; other keys stay hidden', async () => {
    expect((await expectOk('get-env', { key: 'PERM_TEST_VALUE' })).structuredContent).toEqual({
      result: null,
    });
    expect((await expectOk('list-env')).structuredContent).toEqual({ result: [] });
    await grant('environment-variable', 'wasi-probe', { key: 'PERM_TEST_VALUE' });
    expect((await expectOk('get-env', { key: 'PERM_TEST_VALUE' })).structuredContent).toEqual({
      result: 'from-env',
    });
    // not granted: neither the server's own environment nor anything else
    expect((await expectOk('get-env', { key: 'PATH' })).structuredContent).toEqual({ result: null });
    expect((await expectOk('list-env')).structuredContent).toEqual({
      result: [['PERM_TEST_VALUE', 'from-env']],
    });
    await revoke('environment-variable', 'wasi-probe', { key: 'PERM_TEST_VALUE' });
    expect((await expectOk('get-env', { key: 'PERM_TEST_VALUE' })).structuredContent).toEqual({
      result: null,
    });
  });

  it("a granted key absent from --env comes from the server's own environment", async () => {
    await grant('environment-variable', 'wasi-probe', { key: 'PATH' });
    expect((await expectOk('get-env', { key: 'PATH' })).structuredContent).toEqual({
      result: process.env.PATH,
    });
    await revoke('environment-variable', 'wasi-probe', { key: 'PATH' });
  });
});

describe('network', () => {
  const get = (url: string) => call('get', { url });

  it('is denied by default, before any connection, and the error names the grant', async () => {
    const before = requests.length;
    const denied = await get(`http://127.0.0.1:${port}/default`);
    expect(denied.isError).toBe(true);
    expect(texts(denied)).toContain(
      `HTTP request to http://127.0.0.1:${port} denied: grant-network-permission {component_id: "http-probe", details: {host: "127.0.0.1:${port}"}} would allow this.`,
    );
    expect(requests.length).toBe(before);
  });

  it('reaches a granted host:port for real; other ports and hosts stay denied', async () => {
    await grant('network', 'http-probe', { host: `127.0.0.1:${port}` });
    const ok = await get(`http://127.0.0.1:${port}/granted`);
    expect(ok.structuredContent).toEqual({ result: { ok: '200 hello from main' } });
    expect(requests).toContain('main /granted');
    const otherPortCall = await get(`http://127.0.0.1:${otherPort}/other-port`);
    expect(otherPortCall.isError).toBe(true);
    expect(texts(otherPortCall).join('\n')).toContain(`details: {host: "127.0.0.1:${otherPort}"}`);
    const otherHost = await get(`http://localhost:${port}/other-host`);
    expect(otherHost.isError).toBe(true);
    expect(texts(otherHost).join('\n')).toContain(`details: {host: "localhost:${port}"}`);
    expect(requests).not.toContain('other /other-port');
    expect(requests).not.toContain('main /other-host');
  });

  it('is denied again after revoke', async () => {
    await revoke('network', 'http-probe', { host: `127.0.0.1:${port}` });
    const denied = await get(`http://127.0.0.1:${port}/revoked`);
    expect(denied.isError).toBe(true);
    expect(requests).not.toContain('main /revoked');
  });
});

describe('reset-permission', () => {
  it('returns to deny-all', async () => {
    await grant('storage', 'wasi-probe', { uri: fsUri(granted()), access: ['read', 'write'] });
    await grant('environment-variable', 'wasi-probe', { key: 'PERM_TEST_VALUE' });
    await grant('network', 'wasi-probe', { host: 'example.com' });
    await expectOk('read-file', { path: join(granted(), 'inside.txt') });
    const reset = await call('reset-permission', { component_id: 'wasi-probe' });
    expect(resultJson(reset)).toEqual({
      status: 'permissions reset',
      component_id: 'wasi-probe',
      permissions: {},
    });
    expect((await call('read-file', { path: join(granted(), 'inside.txt') })).isError).toBe(true);
    expect((await expectOk('get-env', { key: 'PERM_TEST_VALUE' })).structuredContent).toEqual({
      result: null,
    });
    const policy = resultJson(await call('get-policy', { component_id: 'wasi-probe' })) as { policy: string };
    expect(policy.policy).toMatch(/permissions: \{\}/);
  });

  it('a bad grant is refused naming the field, and the policy stays as it was', async () => {
    await grant('environment-variable', 'wasi-probe', { key: 'PERM_TEST_VALUE' });
    const bad = await call('grant-storage-permission', {
      component_id: 'wasi-probe',
      details: { uri: 'fs://relative/dir', access: ['read'] },
    });
    expect(bad.isError).toBe(true);
    expect(resultText(bad)).toMatch(/uri: .*relative/);
    expect((await expectOk('get-env', { key: 'PERM_TEST_VALUE' })).structuredContent).toEqual({
      result: 'from-env',
    });
    await call('reset-permission', { component_id: 'wasi-probe' });
  });
});

describe('policy files at load', () => {
  it('uses <name>.policy.yaml beside the .wasm when no policy_path is given', async () => {
    const path = join(wasmDir, 'sidecar.wasm');
    await copyFile(probePath, path);
    await writeFile(
      join(wasmDir, 'sidecar.policy.yaml'),
      'version: "1.0"\npermissions:\n  environment:\n    allow:\n      - key: PERM_TEST_VALUE\n',
    );
    const loaded = await expectOk('load-component', { path });
    const report = resultJson(loaded) as { tools: string[]; policy: string };
    expect(report.policy).toBe(join(wasmDir, 'sidecar.policy.yaml'));
    const getEnv = report.tools.find((t) => t.endsWith('get-env')) as string;
    expect(getEnv).toBe('sidecar__get-env');
    expect((await expectOk(getEnv, { key: 'PERM_TEST_VALUE' })).structuredContent).toEqual({
      result: 'from-env',
    });
    // the first component's policy is its own
    expect((await expectOk('get-env', { key: 'PERM_TEST_VALUE' })).structuredContent).toEqual({
      result: null,
    });
  });

  it.each([
    ['bad YAML', 'version: "1.0"\npermissions: [\n  storage: {\n', /bad-yaml\.policy\.yaml:\d+: \(yaml\)/],
    [
      'an unknown access mode',
      'version: "1.0"\npermissions:\n  storage:\n    allow:\n      - uri: "fs:///tmp"\n        access: [read, exec]\n',
      /bad-mode\.policy\.yaml:6: permissions\.storage\.allow\[0\]\.access\[1\]: unknown access mode/,
    ],
    [
      'a relative fs:// path',
      'version: "1.0"\npermissions:\n  storage:\n    allow:\n      - uri: "fs://data/x"\n        access: [read]\n',
      /bad-uri\.policy\.yaml:5: permissions\.storage\.allow\[0\]\.uri: .*relative/,
    ],
  ])(
    'refuses a policy_path with %s naming the field; the component keeps its policy',
    async (what, text, message) => {
      const name = what === 'bad YAML' ? 'bad-yaml' : what.includes('access') ? 'bad-mode' : 'bad-uri';
      const policyPath = join(wasmDir, `${name}.policy.yaml`);
      await writeFile(policyPath, text);
      const refused = await call('load-component', {
        path: join(wasmDir, 'sidecar.wasm'),
        policy_path: policyPath,
      });
      expect(refused.isError).toBe(true);
      expect(resultText(refused)).toMatch(message);
      // still loaded, still with its previous policy; the server keeps serving
      expect((await expectOk('sidecar__get-env', { key: 'PERM_TEST_VALUE' })).structuredContent).toEqual({
        result: 'from-env',
      });
      const policy = resultJson(await call('get-policy', { component_id: 'sidecar' })) as { policy: string };
      expect(policy.policy).toContain('PERM_TEST_VALUE');
    },
  );

  it('a policy_path that does not exist is refused', async () => {
    const refused = await call('load-component', {
      path: join(wasmDir, 'sidecar.wasm'),
      policy_path: join(wasmDir, 'missing.policy.yaml'),
    });
    expect(refused.isError).toBe(true);
    expect(resultText(refused)).toContain('missing.policy.yaml');
  });
});

describe('memory limit', () => {
  // 2 MiB: the guest (StarlingMonkey, 9 MiB at start) copies it several times, more than a 10 MiB cap allows.
  // (A JSON-RPC message over 10 MiB is more than the SDK's stdio transport reads at all.)
  const big = 'x'.repeat(2 * 2 ** 20);

  it('a guest that grows past its cap fails; the server keeps running and the next call works', async () => {
    const path = join(wasmDir, 'capped.wasm');
    await copyFile(probePath, path);
    const policyPath = join(wasmDir, 'capped-policy.yaml');
    await writeFile(
      policyPath,
      'version: "1.0"\npermissions:\n  resources:\n    limits:\n      memory: 10Mi\n',
    );
    const loaded = await expectOk('load-component', { path, policy_path: policyPath });
    expect((resultJson(loaded) as { tools: string[] }).tools).toContain('capped__print');
    const failed = await call('capped__print', { out: big, err: '' });
    expect(failed.isError).toBe(true);
    expect(resultText(failed)).toContain('memory is capped at 10Mi');
    expect((await expectOk('capped__get-env', { key: 'X' })).structuredContent).toEqual({ result: null });
    expect((await expectOk('list-components')).isError).toBeFalsy();
  }, 60_000);

  it('the same call succeeds without the cap', async () => {
    const printed = await expectOk('print', { out: big, err: '' });
    expect(printed.structuredContent).toEqual({ result: null });
  }, 60_000);

  it('reset-permission drops the cap and says that it applies after a reload', async () => {
    const reset = resultJson(await call('reset-permission', { component_id: 'capped' })) as { note?: string };
    expect(reset.note).toMatch(/memory limit .* reloaded/);
  });
});

describe('secrets', () => {
  const cli = (...args: string[]) =>
    run(process.execPath, [BIN, 'secret', ...args], {
      cwd: REPO_ROOT,
      env: { ...process.env, XDG_CONFIG_HOME: configHome },
    });

  it('wasmactor secret set/list/delete; only its own component sees the secret, no output shows the value', async () => {
    await cli('set', 'wasi-probe', 'PERM_SECRET=s3cr3t-value', 'OTHER_SECRET=two');
    const listed = await cli('list', 'wasi-probe');
    expect(listed.stdout).toBe('OTHER_SECRET\nPERM_SECRET\n');
    expect(listed.stdout + listed.stderr).not.toContain('s3cr3t-value');
    // secrets reach a component from its next load
    await expectOk('load-component', { path: probePath });
    expect((await expectOk('get-env', { key: 'PERM_SECRET' })).structuredContent).toEqual({
      result: 's3cr3t-value',
    });
    expect((await expectOk('sidecar__get-env', { key: 'PERM_SECRET' })).structuredContent).toEqual({
      result: null,
    });
    const policy = await call('get-policy', { component_id: 'wasi-probe' });
    expect(JSON.stringify(policy)).not.toContain('s3cr3t-value');
    const deleted = await cli('delete', 'wasi-probe', 'PERM_SECRET');
    expect(deleted.stdout).toContain('deleted PERM_SECRET');
    expect((await cli('list', 'wasi-probe')).stdout).toBe('OTHER_SECRET\n');
    await expectOk('load-component', { path: probePath });
    expect((await expectOk('get-env', { key: 'PERM_SECRET' })).structuredContent).toEqual({ result: null });
    expect(server.stderr()).not.toContain('s3cr3t-value');
  }, 60_000);
});

describe('restart', () => {
  it('grants survive a SIGKILL of the server', async () => {
    await grant('environment-variable', 'wasi-probe', { key: 'PERM_TEST_VALUE' });
    await grant('storage', 'wasi-probe', { uri: fsUri(granted()), access: ['read'] });
    await new Promise<void>((done) => {
      server.transport.onclose = () => done();
      process.kill(server.pid, 'SIGKILL');
    });
    server = await spawnServer(componentDir, ['--env', 'PERM_TEST_VALUE=from-env'], {
      XDG_CONFIG_HOME: configHome,
    });
    // restored in id order, so the copies' tool names may have changed hands: ask for wasi-probe's own
    const listed = resultJson(await call('list-components')) as {
      components: { id: string; tools: string[] }[];
    };
    const tools = listed.components.find((c) => c.id === 'wasi-probe')?.tools ?? [];
    const tool = (name: string) => tools.find((t) => t === name || t === `wasi-probe__${name}`) as string;
    expect((await expectOk(tool('get-env'), { key: 'PERM_TEST_VALUE' })).structuredContent).toEqual({
      result: 'from-env',
    });
    const read = await expectOk(tool('read-file'), { path: join(granted(), 'inside.txt') });
    expect(read.structuredContent).toEqual({ result: { ok: 'inside' } });
    const write = await call(tool('write-file'), { path: join(granted(), 'inside.txt'), contents: 'x' });
    expect(write.isError).toBe(true);
    const policy = resultJson(await call('get-policy', { component_id: 'wasi-probe' })) as { policy: string };
    expect(policy.policy).toContain('PERM_TEST_VALUE');
  }, 120_000);
});
