/**
 * load-component from oci:// end to end: a real registry (Debian's docker-registry on 127.0.0.1, plain
 * http as for any loopback registry), components published with our own push, a real `wasmactor serve`
 * over stdio. By tag and by digest, the wasm layer taken from the download cache the second time, a
 * tampered blob refused with nothing stored, a missing tag named, and a restart with the registry gone.
 */
import { existsSync } from 'node:fs';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseOciReference, pushComponent } from '../../../src/mcp/sources/oci/index.ts';
import { sha256 } from '../../../src/runtime/index.ts';
import { startRegistry, type TestRegistry } from '../../oci/registry.ts';
import {
  fixture,
  listedIds,
  loadComponent,
  resultJson,
  resultText,
  type SpawnedServer,
  spawnedServers,
  tempDir,
} from '../helpers.ts';

let registry: TestRegistry;
let counter: Uint8Array;
let trap: Uint8Array;
let componentDir: string;
let cacheDir: string;
/** The manifest digest of the pushed counter (`sha256:HEX`). */
let counterManifest: string;
let trapLayer: string;
const servers = spawnedServers();
const cleanups: (() => Promise<void>)[] = [];

beforeAll(async () => {
  const [c, t] = (await fixture('counter', 'trap')) as [string, string];
  counter = new Uint8Array(await readFile(c));
  trap = new Uint8Array(await readFile(t));
  registry = await startRegistry();
  const push = (path: string, bytes: Uint8Array) =>
    pushComponent(parseOciReference(`oci://${registry.host}/${path}`), bytes, { timeoutMs: 20_000 });
  counterManifest = (await push('acme/counter:1.0', counter)).manifestDigest;
  trapLayer = (await push('acme/trap:1.0', trap)).layerDigest;
  const components = await tempDir('wasmactor-oci-');
  const cache = await tempDir('wasmactor-oci-cache-');
  cleanups.push(components.cleanup, cache.cleanup);
  componentDir = components.dir;
  cacheDir = cache.dir;
}, 180_000);

afterAll(async () => {
  await servers.closeAll();
  await registry?.stop();
  for (const cleanup of cleanups) await cleanup();
});

describe('load-component from oci:// (a real docker-registry)', () => {
  let server: SpawnedServer;
  const counterRef = () => `oci://${registry.host}/acme/counter`;

  beforeAll(async () => {
    server = await servers.spawn(componentDir, ['--download-cache', cacheDir]);
  }, 60_000);

  it('loads by tag: the id is the last repository segment; the directory records the pinned reference and the digest', async () => {
    const steps: { progress: number; total?: number; message?: string }[] = [];
    const result = await server.client.callTool(
      { name: 'load-component', arguments: { path: `${counterRef()}:1.0`, stateful: true } },
      { onprogress: (p) => steps.push(p) },
    );
    expect(result.isError).toBeFalsy();
    // the layer's bytes, then the load's own steps
    expect(steps[0]).toEqual({
      progress: counter.length,
      total: counter.length,
      message: `downloading ${counterRef()}:1.0: ${counter.length} bytes of ${counter.length} bytes`,
    });
    expect(steps.length).toBeGreaterThan(1);
    const pinned = `${counterRef()}@${counterManifest}`;
    expect(resultJson(result)).toMatchObject({
      id: 'counter',
      source: `${counterRef()}:1.0`,
      pinned,
      sha256: sha256(counter),
      fetched: 'download',
    });
    expect((await server.client.callTool({ name: 'increment', arguments: {} })).structuredContent).toEqual({
      result: 1,
    });
    const metadata = JSON.parse(await readFile(join(componentDir, 'counter', 'metadata.json'), 'utf8'));
    expect(metadata).toMatchObject({ source: `${counterRef()}:1.0`, pinned, sha256: sha256(counter) });
    expect(await readdir(join(cacheDir, 'sha256'))).toEqual([sha256(counter)]);
  }, 60_000);

  it('loads by digest; the wasm layer comes from the download cache (not downloaded again)', async () => {
    const layerBlob = registry.blobPath(`sha256:${sha256(counter)}`);
    // Were the layer downloaded again, this changed blob would be refused: the cache is what answers.
    const original = await readFile(layerBlob);
    await writeFile(layerBlob, trap);
    try {
      const result = await loadComponent(server, {
        path: `${counterRef()}@${counterManifest}`,
        stateful: true,
      });
      expect(resultJson(result)).toMatchObject({
        id: 'counter',
        reloaded: true,
        pinned: `${counterRef()}@${counterManifest}`,
        fetched: 'cache',
      });
    } finally {
      await writeFile(layerBlob, original);
    }
  }, 60_000);

  it('a tampered blob in the registry is refused (digest-mismatch): nothing is loaded, stored or cached', async () => {
    await writeFile(registry.blobPath(trapLayer), counter);
    const result = await loadComponent(server, { path: `oci://${registry.host}/acme/trap:1.0` });
    expect(result.isError).toBe(true);
    expect(resultText(result)).toContain(
      `Cannot load oci://${registry.host}/acme/trap:1.0: the component of oci://${registry.host}/acme/trap:1.0 has the digest sha256:${sha256(counter)}, not ${trapLayer} as its manifest says`,
    );
    expect(existsSync(join(componentDir, 'trap'))).toBe(false);
    expect(await readdir(join(cacheDir, 'sha256'))).toEqual([sha256(counter)]);
    expect(await listedIds(server)).toEqual(['counter']);
  }, 60_000);

  it('a tag that does not exist is named as such', async () => {
    const result = await loadComponent(server, { path: `${counterRef()}:9.9` });
    expect(result.isError).toBe(true);
    expect(resultText(result)).toBe(
      `Cannot load ${counterRef()}:9.9: the tag 9.9 does not exist in ${registry.host}/acme/counter (its tags: 1.0)`,
    );
  }, 60_000);

  it('restarts with the registry stopped: the component comes back from the component directory', async () => {
    await new Promise<void>((done) => {
      server.transport.onclose = () => done();
      process.kill(server.pid, 'SIGKILL');
    });
    await registry.stop();
    const { dir: emptyCache, cleanup } = await tempDir('wasmactor-oci-cache-');
    cleanups.push(cleanup);
    const again = await servers.spawn(componentDir, ['--download-cache', emptyCache]);
    expect(await listedIds(again)).toEqual(['counter']);
    expect((await again.client.callTool({ name: 'increment', arguments: {} })).structuredContent).toEqual({
      result: 1,
    });
    expect(await readdir(emptyCache)).toEqual([]);
  }, 60_000);

  it('with the registry gone, a reference pinned @sha256: loads again from the download cache; a tag cannot', async () => {
    // the registry was stopped by the test before
    const offline = await servers.spawn(componentDir, ['--download-cache', cacheDir]);
    const pinned = await loadComponent(offline, {
      path: `${counterRef()}@${counterManifest}`,
      stateful: true,
    });
    expect(pinned.isError).toBeFalsy();
    expect(resultJson(pinned)).toMatchObject({ id: 'counter', fetched: 'cache', sha256: sha256(counter) });
    const tagged = await loadComponent(offline, { path: `${counterRef()}:1.0` });
    expect(tagged.isError).toBe(true);
    expect(resultText(tagged)).toMatch(/ECONNREFUSED/);
  }, 60_000);
});
