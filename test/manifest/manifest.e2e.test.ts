/**
 * `serve --manifest` and `component sync --manifest` end to end: the real command over stdio, real
 * fixture components, a component directory reused across restarts.
 */
import { copyFile, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  BUILTIN_TOOLS,
  fixture,
  resultText,
  runWasmactor,
  type SpawnedServer,
  spawnedServers,
  tempDir,
} from '../mcp/helpers.ts';

/** Runs the `wasmactor` command; resolves to its exit code and output (never rejects). */
const wasmactor = (...args: string[]) => runWasmactor(args, { timeoutMs: 60_000 });

let counterPath: string;
let probePath: string;
let trapPath: string;
let dir: string;
let cleanup: () => Promise<void>;
const servers = spawnedServers();

const COUNTER_TOOLS = ['add', 'get', 'increment', 'increment-slowly', 'trap'];
/** The tools of wasi-probe (fixtures/wasi-probe/world.wit); the trap fixture's are unreachable, overflow, grow-memory, ok */
const PROBE_TOOLS = [
  'get-env',
  'list-env',
  'read-file',
  'write-file',
  'rename',
  'remove',
  'list-dir',
  'print',
  'exit',
];
const ENV = { PERM_TEST_VALUE: 'from-the-server' };

beforeAll(async () => {
  [counterPath, probePath, trapPath] = (await fixture('counter', 'wasi-probe', 'trap')) as [
    string,
    string,
    string,
  ];
  ({ dir, cleanup } = await tempDir('wasmactor-manifest-'));
}, 180_000);

afterEach(() => servers.closeAll());
afterAll(() => cleanup?.());

async function writeManifest(name: string, lines: string[]): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, `${lines.join('\n')}\n`);
  return path;
}

/** A manifest of counter (stateful) and then probe, `probeLines` ending the probe's entry. */
function counterAndProbe(name: string, probeLines: string[]): Promise<string> {
  return writeManifest(name, [
    'components:',
    '  - id: counter',
    `    source: ${counterPath}`,
    '    stateful: true',
    '  - id: probe',
    `    source: ${probePath}`,
    ...probeLines,
  ]);
}

/** `wasmactor component sync --manifest <manifest> --component-dir <target>`. */
const sync = (manifest: string, target: string) =>
  wasmactor('component', 'sync', '--manifest', manifest, '--component-dir', target);

/** `wasmactor serve --component-dir <dir>/<name> --manifest <manifest> ...extra`, run to its end (a refused start). */
const serveToEnd = (name: string, manifest: string, ...extra: string[]) =>
  wasmactor('serve', '--component-dir', join(dir, name), '--manifest', manifest, ...extra);

async function serve(componentDir: string, manifest?: string, extra: string[] = []): Promise<SpawnedServer> {
  return servers.spawn(componentDir, [
    ...(manifest ? ['--manifest', manifest] : []),
    '--env',
    `PERM_TEST_VALUE=${ENV.PERM_TEST_VALUE}`,
    ...extra,
  ]);
}

async function toolNames(server: SpawnedServer): Promise<string[]> {
  return (await server.client.listTools()).tools.map((t) => t.name).sort();
}

async function components(
  server: SpawnedServer,
): Promise<{ id: string; stateful: boolean; state: string }[]> {
  const result = await server.client.callTool({ name: 'list-components', arguments: {} });
  return (result.structuredContent as { components: { id: string; stateful: boolean; state: string }[] })
    .components;
}

async function getEnv(server: SpawnedServer): Promise<unknown> {
  const result = await server.client.callTool({ name: 'get-env', arguments: { key: 'PERM_TEST_VALUE' } });
  expect(result.isError).toBeFalsy();
  return (result.structuredContent as { result: unknown }).result;
}

describe('serve --manifest', () => {
  /** counter (stateful) and probe (granted PERM_TEST_VALUE, in block style). */
  const servedManifest = () =>
    counterAndProbe('serve.yaml', [
      '    permissions:',
      '      environment:',
      '        allow:',
      '          - key: PERM_TEST_VALUE',
    ]);

  it('serves exactly the components of the manifest, with their inline permissions', async () => {
    const componentDir = () => join(dir, 'served');
    // Stored before: not in the manifest, so not served (and left on disk).
    const stored = await wasmactor('component', 'load', trapPath, '--component-dir', componentDir());
    expect(stored.code).toBe(0);
    const manifest = await servedManifest();
    const server = await serve(componentDir(), manifest);
    expect(await toolNames(server)).toEqual([...BUILTIN_TOOLS, ...COUNTER_TOOLS, ...PROBE_TOOLS].sort());
    expect((await components(server)).map((c) => [c.id, c.stateful, c.state])).toEqual([
      ['counter', true, 'idle'],
      ['probe', false, 'idle'],
    ]);
    expect(await getEnv(server)).toBe(ENV.PERM_TEST_VALUE);
    await server.client.callTool({ name: 'add', arguments: { n: 2 } });
    expect((await server.client.callTool({ name: 'get', arguments: {} })).structuredContent).toEqual({
      result: 2,
    });
    const listed = await wasmactor('component', 'list', '--component-dir', componentDir());
    expect(listed.stdout).toMatch(/^trap\t/m);
  });

  it('refuses load, unload, grant and revoke, saying that the manifest owns the components', async () => {
    const manifest = await servedManifest();
    const server = await serve(join(dir, 'refusing'), manifest);
    const owned = `This server was started with --manifest ${manifest}: the manifest owns the set of components, and`;
    const change = `To change them, edit ${manifest} and restart the server (or run \`wasmactor component sync --manifest ${manifest}\` on its component directory, then restart).`;
    const load = await server.client.callTool({ name: 'load-component', arguments: { path: trapPath } });
    expect(load.isError).toBe(true);
    expect(resultText(load)).toBe(
      `Cannot load ${trapPath}: ${owned} load-component cannot change them here. ${change}`,
    );
    const unload = await server.client.callTool({ name: 'unload-component', arguments: { id: 'counter' } });
    expect(unload.isError).toBe(true);
    expect(resultText(unload)).toBe(
      `Cannot unload counter: ${owned} unload-component cannot change them here. ${change}`,
    );
    for (const [name, details] of [
      ['grant-environment-variable-permission', { key: 'PATH' }],
      ['revoke-environment-variable-permission', { key: 'PERM_TEST_VALUE' }],
    ] as const) {
      const result = await server.client.callTool({ name, arguments: { component_id: 'probe', details } });
      expect(result.isError).toBe(true);
      expect(resultText(result)).toBe(
        `${owned} the components' permissions are set by the manifest too (permissions or policy of each entry). ${change}`,
      );
    }
    const reset = await server.client.callTool({
      name: 'reset-permission',
      arguments: { component_id: 'probe' },
    });
    expect(resultText(reset)).toContain(owned);
    // Nothing changed.
    expect((await components(server)).map((c) => c.id)).toEqual(['counter', 'probe']);
    expect(await getEnv(server)).toBe(ENV.PERM_TEST_VALUE);
  });

  it('on a restart with a changed manifest, serves the new set: removed, re-flagged, re-permitted', async () => {
    const target = join(dir, 'changed');
    const first = await serve(target, await servedManifest());
    expect(await getEnv(first)).toBe(ENV.PERM_TEST_VALUE);
    await first.close();
    const manifest = await writeManifest('serve.yaml', [
      'components:',
      '  - id: probe',
      `    source: ${probePath}`,
      '    stateful: true',
    ]);
    const server = await serve(target, manifest);
    expect((await components(server)).map((c) => [c.id, c.stateful])).toEqual([['probe', true]]);
    expect(await toolNames(server)).not.toContain('increment');
    // No permissions in the manifest: the grant of the previous start is gone.
    expect(await getEnv(server)).toBeNull();
  });

  it('gives a tool name two components share to the one listed first, whatever was stored first', async () => {
    const target = join(dir, 'ordered');
    // `older` is stored first; the manifest lists `newer` first: newer keeps the plain names.
    const older = join(dir, 'older.wasm');
    await copyFile(counterPath, older);
    expect((await wasmactor('component', 'load', older, '--component-dir', target)).code).toBe(0);
    const manifest = await writeManifest('ordered.yaml', [
      'components:',
      '  - id: newer',
      `    source: ${counterPath}`,
      '  - id: older',
      `    source: ${older}`,
    ]);
    const server = await serve(target, manifest);
    const names = await toolNames(server);
    expect(names).toContain('increment');
    expect(names).toContain('older__increment');
    expect(names).not.toContain('newer__increment');
  });

  it('restores an unchanged entry from the component directory when its source file is gone', async () => {
    const copy = join(dir, 'counter-copy.wasm');
    await copyFile(counterPath, copy);
    const manifest = await writeManifest('gone.yaml', [
      'components:',
      '  - id: counter',
      `    source: ${copy}`,
    ]);
    const target = join(dir, 'gone');
    const first = await serve(target, manifest);
    expect(await toolNames(first)).toContain('increment');
    await first.close();
    await rm(copy);
    const second = await serve(target, manifest);
    expect(await toolNames(second)).toContain('increment');
    expect((await second.client.callTool({ name: 'increment', arguments: {} })).structuredContent).toEqual({
      result: 1,
    });
  });
});

describe('serve --manifest with a remote source', () => {
  it('downloads it once: a restart, also with a new stateful flag, sends no request', async () => {
    const bytes = await readFile(counterPath);
    const requests: string[] = [];
    const http = createServer((request, response) => {
      requests.push(request.url ?? '');
      response.writeHead(200, { 'content-type': 'application/wasm', 'content-length': bytes.length });
      response.end(bytes);
    });
    await new Promise<void>((done) => http.listen(0, '127.0.0.1', done));
    try {
      const url = `http://127.0.0.1:${(http.address() as AddressInfo).port}/c/counter.wasm`;
      const lines = ['components:', '  - id: remote', `    source: ${url}`];
      const manifest = await writeManifest('remote.yaml', lines);
      const target = join(dir, 'remote');
      // Its own download cache: a cached blob would hide a second download.
      const flags = ['--download-cache', join(dir, 'blobs')];
      const first = await serve(target, manifest, flags);
      expect(await toolNames(first)).toContain('increment');
      expect(requests).toEqual(['/c/counter.wasm']);
      await first.close();
      const second = await serve(target, manifest, flags);
      expect((await second.client.callTool({ name: 'increment', arguments: {} })).structuredContent).toEqual({
        result: 1,
      });
      await second.close();
      await writeManifest('remote.yaml', [...lines, '    stateful: true']);
      const third = await serve(target, manifest, flags);
      expect((await components(third)).map((c) => [c.id, c.stateful])).toEqual([['remote', true]]);
      expect(requests).toHaveLength(1);
    } finally {
      http.closeAllConnections();
      await new Promise((done) => http.close(done));
    }
  });
});

describe('a manifest that cannot be served stops the start', () => {
  it('exits 2 with FILE:LINE: field: why for a bad manifest, before serving anything', async () => {
    const manifest = await writeManifest('bad.yaml', [
      'components:',
      '  - id: counter',
      `    source: ${counterPath}`,
      '    stateful: maybe',
      '  - id: web',
      '    source: gopher://example.com/x.wasm',
    ]);
    const result = await serveToEnd('bad', manifest);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain(
      [
        `wasmactor serve: invalid manifest ${manifest}:`,
        `${manifest}:4: components[0].stateful: expected true or false`,
        `${manifest}:6: components[1].source: unknown scheme "gopher://" in source; give a .wasm file path, file://, https://…/name.wasm or oci://REGISTRY/REPO:TAG`,
      ].join('\n'),
    );
  });

  it('exits 2 naming the component whose source cannot be read (stdio and HTTP)', async () => {
    const missing = join(dir, 'no-such.wasm');
    const manifest = await writeManifest('missing.yaml', [
      'components:',
      '  - id: counter',
      `    source: ${counterPath}`,
      '  - id: nothing',
      `    source: ${missing}`,
    ]);
    for (const transport of [[], ['--http', '127.0.0.1:0']]) {
      const result = await serveToEnd('missing', manifest, ...transport);
      expect(result.code).toBe(2);
      expect(result.stderr).toContain(
        `wasmactor serve: cannot start from the manifest ${manifest}: every component it lists must load, and one does not:\ncomponent nothing (components[1], ${manifest}:4): `,
      );
      expect(result.stderr).toContain(missing);
    }
  });

  it('exits 2 naming a component that fails to load, with the error of its load', async () => {
    const manifest = await writeManifest('tight.yaml', [
      'components:',
      '  - id: probe',
      `    source: ${probePath}`,
      '    permissions: {resources: {limits: {memory: 64Ki}}}',
    ]);
    const result = await serveToEnd('tight', manifest);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(
      `wasmactor serve: cannot start from the manifest ${manifest}: every component it lists must load, and one does not:\ncomponent probe (components[0], ${manifest}:2): component probe failed to load: the memory limit (65536 bytes) is below`,
    );
  });

  it('refuses --manifest with --examples', async () => {
    const result = await wasmactor('serve', '--examples', '--manifest', join(dir, 'serve.yaml'));
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('--examples and --manifest exclude each other');
  });
});

describe('component sync --manifest', () => {
  it('makes the directory match the manifest; serve without --manifest then restores that set', async () => {
    const target = join(dir, 'synced');
    expect((await wasmactor('component', 'load', trapPath, '--component-dir', target)).code).toBe(0);
    const manifest = await counterAndProbe('sync.yaml', [
      '    permissions: {environment: {allow: [{key: PERM_TEST_VALUE}]}}',
    ]);
    const first = await sync(manifest, target);
    expect(first.code).toBe(0);
    expect(first.stdout).toBe(
      `loaded  counter\nloaded  probe\nremoved trap\n${target} matches ${manifest}: 2 loaded, 0 updated, 0 kept, 1 removed\n`,
    );
    const again = await sync(manifest, target);
    expect(again.stdout).toBe(
      `kept    counter\nkept    probe\n${target} matches ${manifest}: 0 loaded, 0 updated, 2 kept, 0 removed\n`,
    );
    const server = await serve(target);
    expect((await components(server)).map((c) => [c.id, c.stateful]).sort()).toEqual([
      ['counter', true],
      ['probe', false],
    ]);
    expect(await toolNames(server)).not.toContain('unreachable');
    expect(await getEnv(server)).toBe(ENV.PERM_TEST_VALUE);
  });

  it('exits 1 naming a component that cannot be synced, 2 for a bad manifest or a missing flag', async () => {
    const manifest = await writeManifest('sync-bad.yaml', [
      'components:',
      '  - id: x',
      `    source: ${join(dir, 'nope.wasm')}`,
    ]);
    const failed = await sync(manifest, join(dir, 's2'));
    expect(failed.code).toBe(1);
    expect(failed.stderr).toContain(`wasmactor component sync: component x (components[0], ${manifest}:2): `);
    const bad = await writeManifest('sync-worse.yaml', ['components:', '  - id: x']);
    const refused = await sync(bad, join(dir, 's2'));
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain(
      `wasmactor component sync: invalid manifest ${bad}:\n${bad}:2: components[0]: missing source`,
    );
    const noFlag = await wasmactor('component', 'sync');
    expect(noFlag.code).toBe(2);
    expect(noFlag.stderr).toContain('--manifest FILE is required');
  });
});
