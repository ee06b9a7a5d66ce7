/**
 * `search-components` over real stdio (`wasmactor serve --registry ...`) against a real registry: the
 * published components with their descriptions and versions, a query filter, a registry that cannot be
 * searched named in a note while the others answer, a catalog that points elsewhere never followed, and
 * the note that says how to configure a registry when there is none.
 */
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseOciReference, pushComponent } from '../../src/mcp/sources/oci/index.ts';
import { fixturePath } from '../helpers/fixtures.ts';
import { BIN, type SpawnedServer, spawnServer, tempDir } from '../mcp/helpers.ts';
import { freePort, startRegistry, type TestRegistry } from './registry.ts';

interface SearchAnswer {
  components: Array<{ name: string; source: string; description: string; versions: string[] }>;
  note?: string;
}

let registry: TestRegistry;
let server: SpawnedServer | undefined;
let bare: SpawnedServer | undefined;
let elsewhere: Server;
let elsewhereHits = 0;
let misleading: Server;
const cleanups: Array<() => Promise<void>> = [];

function listen(s: Server): Promise<number> {
  return new Promise((resolve) => s.listen(0, '127.0.0.1', () => resolve((s.address() as AddressInfo).port)));
}

async function search(target: SpawnedServer, query?: string): Promise<SearchAnswer> {
  const result = await target.client.callTool({
    name: 'search-components',
    arguments: query === undefined ? {} : { query },
  });
  expect(result.isError).toBeFalsy();
  return result.structuredContent as unknown as SearchAnswer;
}

beforeAll(async () => {
  registry = await startRegistry();
  const push = async (path: string, fixture: string, description: string) => {
    await pushComponent(
      parseOciReference(`oci://${registry.host}/${path}`),
      await readFile(fixturePath(fixture)),
      {
        timeoutMs: 20_000,
        annotations: { 'org.opencontainers.image.description': description },
      },
    );
  };
  await push('tools/counter:1.0', 'counter', 'Counts calls, one instance at a time');
  await push('tools/counter:2.0', 'counter', 'Counts calls, one instance at a time');
  await push('tools/trap:0.1', 'trap', 'Traps on purpose');
  await push('demo/documented:latest', 'documented', 'A documented example');
  // A registry whose catalog points at another server: that server must never be asked.
  elsewhere = createServer((_req, res) => {
    elsewhereHits++;
    res.writeHead(200, { 'content-type': 'application/json' }).end('{"repositories":["stolen/x"]}');
  });
  const elsewherePort = await listen(elsewhere);
  misleading = createServer((req, res) => {
    if (req.url?.startsWith('/v2/_catalog')) {
      res
        .writeHead(200, {
          'content-type': 'application/json',
          link: `<http://127.0.0.1:${elsewherePort}/v2/_catalog?last=a>; rel="next"`,
        })
        .end('{"repositories":[]}');
    } else {
      res.writeHead(404).end();
    }
  });
  const misleadingPort = await listen(misleading);
  const dead = await freePort();
  const tmp = await tempDir();
  cleanups.push(tmp.cleanup);
  server = await spawnServer(tmp.dir, [
    '--registry',
    `http://${registry.host}`,
    '--registry',
    `oci://127.0.0.1:${dead}`,
    '--registry',
    `127.0.0.1:${misleadingPort}`,
  ]);
  const tmp2 = await tempDir();
  cleanups.push(tmp2.cleanup);
  bare = await spawnServer(tmp2.dir);
}, 180_000);

afterAll(async () => {
  await server?.close();
  await bare?.close();
  elsewhere?.close();
  misleading?.close();
  await registry?.stop();
  for (const cleanup of cleanups) await cleanup();
});

describe('search-components', () => {
  it('lists the components of the registries with descriptions, versions and a loadable source', async () => {
    const answer = await search(server as SpawnedServer);
    const byName = Object.fromEntries(answer.components.map((c) => [c.name, c]));
    expect(Object.keys(byName).sort()).toEqual(['demo/documented', 'tools/counter', 'tools/trap']);
    expect(byName['tools/counter']).toEqual({
      name: 'tools/counter',
      source: `oci://${registry.host}/tools/counter:2.0`,
      description: 'Counts calls, one instance at a time',
      versions: ['1.0', '2.0'],
    });
    expect(byName['demo/documented']?.source).toBe(`oci://${registry.host}/demo/documented:latest`);
  });

  it('names the registry it could not search, and never follows a catalog to another host', async () => {
    const answer = await search(server as SpawnedServer);
    expect(answer.note).toMatch(/oci:\/\/127\.0\.0\.1:\d+ could not be searched: .*refused \(ECONNREFUSED\)/);
    expect(elsewhereHits).toBe(0);
    expect(answer.components.map((c) => c.name)).not.toContain('stolen/x');
  });

  it('keeps the components that match every word of the query', async () => {
    expect((await search(server as SpawnedServer, 'counter')).components.map((c) => c.name)).toEqual([
      'tools/counter',
    ]);
    expect((await search(server as SpawnedServer, 'ON PURPOSE')).components.map((c) => c.name)).toEqual([
      'tools/trap',
    ]);
    expect((await search(server as SpawnedServer, 'tools calls')).components.map((c) => c.name)).toEqual([
      'tools/counter',
    ]);
    expect((await search(server as SpawnedServer, 'nothing-like-this')).components).toEqual([]);
  });

  it('answers an empty list and how to configure a registry when there is none', async () => {
    const answer = await search(bare as SpawnedServer, 'counter');
    expect(answer.components).toEqual([]);
    expect(answer.note).toContain('--registry URL');
  });

  it('refuses a bad --registry at start, in our words', async () => {
    const run = promisify(execFile)(process.execPath, [
      BIN,
      'serve',
      '--registry',
      'http://registry.example.com',
    ]);
    const error = (await run.then(
      () => undefined,
      (e: unknown) => e,
    )) as { code: number; stderr: string };
    expect(error.code).toBe(2);
    expect(error.stderr).toContain(
      'wasmactor serve: --registry http://registry.example.com: plain http:// is allowed for loopback registries only',
    );
  });
});
