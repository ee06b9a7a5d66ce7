/**
 * load-component from https:// end to end: a real `wasmactor serve` over stdio, a real HTTPS server on
 * 127.0.0.1 whose certificate is signed by a CA made in the test (trusted only through
 * NODE_EXTRA_CA_CERTS, which Node reads at process start — so it goes into the spawned server's
 * environment). Pins, the download cache, progress, cancellation, the offline restart, and the errors a
 * user can act on, after each of which the server keeps serving.
 */
import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sha256 } from '../../../src/runtime/index.ts';
import {
  fixture,
  killServer,
  listedIds,
  loadComponent,
  resultJson,
  resultText,
  type SpawnedServer,
  spawnedServers,
  tempDir,
} from '../helpers.ts';
import { type FileServer, makeCertificates, padded, startFileServer } from './fileServer.ts';

let https: FileServer;
let http: FileServer;
let caPath: string;
let counter: Uint8Array;
let trap: Uint8Array;
let big: Uint8Array;
/** Another 1 MiB component, never downloaded in full. */
let stuck: Uint8Array;
/** A digest of nothing the tests serve. */
const WRONG = sha256(new TextEncoder().encode('not this one'));
let componentDir: string;
let cacheDir: string;
const servers = spawnedServers();
const cleanups: (() => Promise<void>)[] = [];

beforeAll(async () => {
  const [c, t] = (await fixture('counter', 'trap')) as [string, string];
  counter = new Uint8Array(await readFile(c));
  trap = new Uint8Array(await readFile(t));
  big = padded(counter, 1024 * 1024);
  stuck = padded(counter, 1024 * 1024 + 1);
  const certs = await tempDir('wasmactor-certs-');
  const components = await tempDir('wasmactor-remote-');
  const cache = await tempDir('wasmactor-remote-cache-');
  cleanups.push(certs.cleanup, components.cleanup, cache.cleanup);
  componentDir = components.dir;
  cacheDir = cache.dir;
  const certificates = makeCertificates(certs.dir);
  caPath = certificates.caPath;
  https = await startFileServer(certificates);
  http = await startFileServer();
  https.routes.set('/c/counter.wasm', { body: counter });
  https.routes.set('/t/trap.wasm', { body: trap });
  https.routes.set('/slow/big.wasm', { body: big, chunk: 64 * 1024, delayMs: 25 });
  https.routes.set('/stall/stuck.wasm', { body: stuck, chunk: 16 * 1024, stallAfter: 96 * 1024 });
  http.routes.set('/big.wasm', { body: big });
}, 180_000);

afterAll(async () => {
  await servers.closeAll();
  await https?.stop();
  await http?.stop();
  for (const cleanup of cleanups) await cleanup();
});

async function until(condition: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 1000; i++) {
    if (condition()) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`timed out waiting until ${what}`);
}

describe('load-component from https:// (a CA trusted through NODE_EXTRA_CA_CERTS)', () => {
  let server: SpawnedServer;
  const counterHex = () => sha256(counter);

  beforeAll(async () => {
    server = await servers.spawn(componentDir, ['--download-cache', cacheDir], {
      NODE_EXTRA_CA_CERTS: caPath,
    });
  }, 60_000);

  it('downloads and loads it; the component directory records the source, the pinned reference and the digest', async () => {
    const url = `${https.base}/c/counter.wasm`;
    const result = await loadComponent(server, { path: url, stateful: true });
    expect(result.isError).toBeFalsy();
    expect(resultJson(result)).toMatchObject({
      id: 'counter',
      source: url,
      sha256: counterHex(),
      pinned: `${url}#sha256=${counterHex()}`,
      fetched: 'download',
    });
    const call = (name: string) => server.client.callTool({ name, arguments: {} });
    expect((await call('increment')).structuredContent).toEqual({ result: 1 });
    const metadata = JSON.parse(await readFile(join(componentDir, 'counter', 'metadata.json'), 'utf8'));
    expect(metadata).toMatchObject({
      source: url,
      pinned: `${url}#sha256=${counterHex()}`,
      sha256: counterHex(),
    });
    expect(sha256(await readFile(join(componentDir, 'counter', 'component.wasm')))).toBe(counterHex());
    expect(https.requests.get('/c/counter.wasm')).toBe(1);
  }, 60_000);

  it('loading the same digest again (pinned) makes no request: it comes from the download cache', async () => {
    const before = https.requests.get('/c/counter.wasm');
    const pinned = await loadComponent(server, {
      path: `${https.base}/c/counter.wasm#sha256=${counterHex()}`,
      stateful: true,
    });
    expect(resultJson(pinned)).toMatchObject({ id: 'counter', fetched: 'cache', reloaded: true });
    const byArgument = await loadComponent(server, {
      path: `${https.base}/c/counter.wasm`,
      sha256: counterHex(),
    });
    expect(resultJson(byArgument)).toMatchObject({ fetched: 'cache' });
    expect(https.requests.get('/c/counter.wasm')).toBe(before);
  }, 60_000);

  it('a wrong pin is refused with digest-mismatch and nothing is loaded, stored or cached; the right one loads', async () => {
    const url = `${https.base}/t/trap.wasm`;
    const wrong = await loadComponent(server, { path: `${url}#sha256=${WRONG}` });
    expect(wrong.isError).toBe(true);
    expect(resultText(wrong)).toBe(
      `Cannot load ${url}#sha256=${WRONG}: ${url} has sha256 ${sha256(trap)}, but ${WRONG} was pinned: nothing was loaded or stored. If the component changed on purpose, pin its new digest.`,
    );
    const wrongArgument = await loadComponent(server, { path: url, sha256: WRONG });
    expect(resultText(wrongArgument)).toMatch(/has sha256 .* was pinned: nothing was loaded or stored/);
    expect(existsSync(join(componentDir, 'trap'))).toBe(false);
    expect(existsSync(join(cacheDir, 'sha256', sha256(trap)))).toBe(false);
    expect(await listedIds(server)).toEqual(['counter']);
    const right = await loadComponent(server, { path: url, sha256: sha256(trap).toUpperCase() });
    expect(resultJson(right)).toMatchObject({ id: 'trap', sha256: sha256(trap), fetched: 'download' });
  }, 60_000);

  it('sends notifications/progress with the bytes received while downloading, when the client sent a token', async () => {
    const steps: { progress: number; total?: number; message?: string }[] = [];
    const result = await server.client.callTool(
      { name: 'load-component', arguments: { path: `${https.base}/slow/big.wasm` } },
      { onprogress: (p) => steps.push(p) },
    );
    expect(result.isError).toBeFalsy();
    const downloading = steps.filter((s) => s.message?.startsWith(`downloading ${https.base}/slow/big.wasm`));
    expect(downloading.length).toBeGreaterThanOrEqual(2);
    for (const step of downloading) expect(step.total).toBe(big.length);
    expect(downloading.at(-1)?.progress).toBe(big.length);
    expect(downloading.at(-1)?.message).toMatch(/: 1\.0 MiB of 1\.0 MiB$/);
    // every notification counts up, the load's own steps after the bytes
    for (let i = 1; i < steps.length; i++)
      expect(steps[i]?.progress).toBeGreaterThan(steps[i - 1]?.progress as number);
    expect(steps.at(-1)?.progress).toBeGreaterThan(big.length);
  }, 60_000);

  it('a load cancelled by the client mid-download stops the download; nothing is loaded or stored', async () => {
    const controller = new AbortController();
    const answer = server.client
      .callTool(
        { name: 'load-component', arguments: { path: `${https.base}/stall/stuck.wasm` } },
        { signal: controller.signal },
      )
      .then(
        () => 'answered',
        () => 'rejected',
      );
    await until(() => (https.requests.get('/stall/stuck.wasm') ?? 0) > 0, 'the download started');
    controller.abort();
    expect(await answer).toBe('rejected');
    // On a timeout, say what the web server saw and what the server logged (a rare failure seen under load).
    await until(() => https.abandoned.has('/stall/stuck.wasm'), 'the server closed the download').catch(
      (error: Error) => {
        const seen = `requests ${JSON.stringify([...https.requests])}; server stderr: ${server.stderr().slice(-2000)}`;
        throw new Error(`${error.message} (${seen})`);
      },
    );
    expect(await listedIds(server)).not.toContain('stuck');
    expect(await readdir(componentDir)).not.toContain('stuck');
    expect(existsSync(join(cacheDir, 'sha256', sha256(stuck)))).toBe(false);
  }, 60_000);

  it('restarts offline: with the web server stopped, the components come back from the component directory', async () => {
    await killServer(server);
    await https.stop();
    const requestsBefore = [...https.requests.values()].reduce((a, b) => a + b, 0);
    // no CA and an empty download cache: a download could not even start
    const { dir: emptyCache, cleanup } = await tempDir('wasmactor-remote-cache-');
    cleanups.push(cleanup);
    const again = await servers.spawn(componentDir, ['--download-cache', emptyCache]);
    expect(await listedIds(again)).toEqual(['big', 'counter', 'trap']);
    expect((await again.client.callTool({ name: 'increment', arguments: {} })).structuredContent).toEqual({
      result: 1,
    });
    expect([...https.requests.values()].reduce((a, b) => a + b, 0)).toBe(requestsBefore);
    expect(await readdir(emptyCache)).toEqual([]);
    expect(again.stderr()).not.toMatch(/skipping a broken entry|restoring a component failed/);
  }, 60_000);
});

describe('load-component errors a user can act on (the server keeps serving after each)', () => {
  let server: SpawnedServer;
  let tls: FileServer;

  beforeAll(async () => {
    const certs = await tempDir('wasmactor-certs-');
    cleanups.push(certs.cleanup);
    tls = await startFileServer(makeCertificates(certs.dir));
    tls.routes.set('/counter.wasm', { body: counter });
    const { dir, cleanup } = await tempDir('wasmactor-remote-');
    cleanups.push(cleanup);
    // no NODE_EXTRA_CA_CERTS, and a size limit of 64 KiB
    server = await servers.spawn(dir, [
      '--download-cache',
      join(dir, 'cache'),
      '--max-component-size',
      '64Ki',
    ]);
  }, 60_000);

  afterAll(async () => {
    await tls?.stop();
  });

  it('a certificate from an unknown CA: a TLS failure with the NODE_EXTRA_CA_CERTS hint', async () => {
    const result = await loadComponent(server, { path: `${tls.base}/counter.wasm` });
    expect(result.isError).toBe(true);
    expect(resultText(result)).toMatch(
      /^Cannot load https:\/\/127\.0\.0\.1:\d+\/counter\.wasm: TLS failure with 127\.0\.0\.1:\d+: .*start wasmactor with NODE_EXTRA_CA_CERTS=\/path\/ca\.pem$/,
    );
  });

  it('too large: stopped at --max-component-size, which the message names', async () => {
    const result = await loadComponent(server, { path: `${http.base}/big.wasm` });
    expect(resultText(result)).toBe(
      `Cannot load ${http.base}/big.wasm: ${http.base}/big.wasm is ${big.length} bytes, more than the limit of 65536 bytes; the download was stopped; raise the limit with --max-component-size`,
    );
  });

  it('404: says that nothing is at that URL', async () => {
    const result = await loadComponent(server, { path: `${http.base}/missing.wasm` });
    expect(resultText(result)).toMatch(/missing\.wasm answered 404 Not Found: nothing is there$/);
  });

  it('an unknown host: says that its name does not resolve (no network: .invalid never resolves)', async () => {
    const result = await loadComponent(server, { path: 'https://components.invalid/tool.wasm' });
    expect(resultText(result)).toMatch(/cannot resolve host "components\.invalid"/);
    expect(await listedIds(server)).toEqual([]);
  });
});
