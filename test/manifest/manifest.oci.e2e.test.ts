/**
 * A manifest of OCI components (what replicas behind a load balancer share): a real registry (Debian's
 * docker-registry on 127.0.0.1), components pushed with our client, `serve --manifest` pulling them by
 * tag and by digest; with the registry stopped, a restart serves the same tools from the component
 * directory.
 */

import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseOciReference, pushComponent } from '../../src/mcp/sources/oci/index.ts';
import { fixture, type SpawnedServer, spawnedServers, tempDir } from '../mcp/helpers.ts';
import { startRegistry, type TestRegistry } from '../oci/registry.ts';

let registry: TestRegistry | undefined;
let dir: string;
let cleanup: () => Promise<void>;
let counterPath: string;
let probePath: string;
const servers = spawnedServers();

beforeAll(async () => {
  [counterPath, probePath] = (await fixture('counter', 'wasi-probe')) as [string, string];
  ({ dir, cleanup } = await tempDir('wasmactor-manifest-oci-'));
  registry = await startRegistry();
}, 180_000);

afterAll(async () => {
  await servers.closeAll();
  await registry?.stop();
  await cleanup?.();
});

async function serve(componentDir: string, manifest: string): Promise<SpawnedServer> {
  // No docker config of the user's: the registry is anonymous.
  return servers.spawn(componentDir, ['--manifest', manifest, '--download-cache', join(dir, 'blobs')], {
    DOCKER_CONFIG: join(dir, 'docker'),
  });
}

describe('serve --manifest with oci:// sources', () => {
  it('pulls by tag and by digest, then restarts without the registry', async () => {
    const live = registry as TestRegistry;
    const oci = (path: string) => parseOciReference(`oci://${live.host}/${path}`);
    await pushComponent(oci('acme/counter:1.0'), await readFile(counterPath), { timeoutMs: 20_000 });
    const probe = await pushComponent(oci('acme/probe:2.0'), await readFile(probePath), {
      timeoutMs: 20_000,
    });
    const manifest = join(dir, 'oci.yaml');
    await writeFile(
      manifest,
      [
        'components:',
        '  - id: counter',
        `    source: oci://${live.host}/acme/counter:1.0`,
        '    stateful: true',
        '  - id: probe',
        `    source: oci://${live.host}/acme/probe@${probe.manifestDigest}`,
        '',
      ].join('\n'),
    );
    const target = join(dir, 'components');
    const first = await serve(target, manifest);
    const tools = (await first.client.listTools()).tools.map((t) => t.name);
    expect(tools).toEqual(expect.arrayContaining(['increment', 'get-env']));
    await first.close();
    const metadata = JSON.parse(await readFile(join(target, 'probe', 'metadata.json'), 'utf8'));
    expect(metadata).toMatchObject({
      source: `oci://${live.host}/acme/probe@${probe.manifestDigest}`,
      pinned: probe.pinned,
    });

    await live.stop();
    registry = undefined;
    const second = await serve(target, manifest);
    expect((await second.client.listTools()).tools.map((t) => t.name).sort()).toEqual([...tools].sort());
    expect((await second.client.callTool({ name: 'increment', arguments: {} })).structuredContent).toEqual({
      result: 1,
    });
  });
});
