/**
 * Registry authentication against real servers: docker-registry's own `htpasswd` auth (the Basic
 * challenge) and a Bearer-token front (`WWW-Authenticate: Bearer realm=...`) in front of a registry;
 * credentials from a docker config file (given, or found through DOCKER_CONFIG); denials that say whether
 * config.json credentials were sent and where the file is.
 */
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseOciReference, pullComponent, pushComponent } from '../../src/mcp/sources/oci/index.ts';
import { fixturePath } from '../helpers/fixtures.ts';
import { mcpFailure } from '../helpers/mcpFailure.ts';
import {
  type BearerFront,
  startBearerFront,
  startRegistry,
  TEST_USER,
  type TestRegistry,
  writeDockerConfig,
} from './registry.ts';

let counter: Uint8Array;
let noConfig: string;
const limits = { maxBytes: 64 * 1024 * 1024, timeoutMs: 20_000 };

beforeAll(async () => {
  counter = await readFile(fixturePath('counter'));
  noConfig = join(await mkdtemp(join(tmpdir(), 'wasmactor-nodocker-')), 'config.json');
});

describe('a registry with htpasswd (Basic) auth', () => {
  let registry: TestRegistry;
  let goodConfig: string;
  const ref = (path: string) => parseOciReference(`oci://${registry.host}/${path}`);

  beforeAll(async () => {
    registry = await startRegistry({ htpasswd: true });
    goodConfig = await writeDockerConfig(registry.host, TEST_USER.username, TEST_USER.password);
  });
  afterAll(async () => {
    await registry?.stop();
  });

  it('refuses without credentials, saying that none were found and where', async () => {
    const error = await mcpFailure(
      pullComponent(ref('private/counter:1'), { ...limits, dockerConfigPath: noConfig }),
    );
    expect(error.code).toBe('source-denied');
    expect(error.message).toContain('401 Unauthorized');
    expect(error.message).toContain(
      `no credentials were sent (${noConfig} has no credentials for ${registry.host})`,
    );
    expect(error.message).toContain('docker login');
  });

  it('pushes and pulls with the credentials of a docker config file', async () => {
    const pushed = await pushComponent(ref('private/counter:1'), counter, {
      timeoutMs: 20_000,
      dockerConfigPath: goodConfig,
    });
    const pulled = await pullComponent(ref('private/counter:1'), { ...limits, dockerConfigPath: goodConfig });
    expect(pulled.manifestDigest).toBe(pushed.manifestDigest);
    expect(Buffer.from(pulled.bytes).equals(Buffer.from(counter))).toBe(true);
  });

  it('finds the docker config through DOCKER_CONFIG', async () => {
    const saved = process.env.DOCKER_CONFIG;
    process.env.DOCKER_CONFIG = dirname(goodConfig);
    try {
      const pulled = await pullComponent(ref('private/counter:1'), limits);
      expect(pulled.bytes.byteLength).toBe(counter.byteLength);
    } finally {
      if (saved === undefined) delete process.env.DOCKER_CONFIG;
      else process.env.DOCKER_CONFIG = saved;
    }
  });

  it('says that the config.json credentials were sent and refused', async () => {
    const wrong = await writeDockerConfig(registry.host, TEST_USER.username, 'not-the-password');
    const error = await mcpFailure(
      pullComponent(ref('private/counter:1'), { ...limits, dockerConfigPath: wrong }),
    );
    expect(error.code).toBe('source-denied');
    expect(error.message).toContain(
      `the credentials of "tester" for ${registry.host} from ${wrong} were sent and refused`,
    );
  });
});

describe('a registry behind a Bearer token server', () => {
  let registry: TestRegistry;
  let front: BearerFront;
  let goodConfig: string;
  const ref = (path: string) => parseOciReference(`oci://${front.host}/${path}`);

  beforeAll(async () => {
    registry = await startRegistry();
    front = await startBearerFront(registry, { anonymousPull: true });
    goodConfig = await writeDockerConfig(front.host, TEST_USER.username, TEST_USER.password);
  });
  afterAll(async () => {
    await front?.stop();
    await registry?.stop();
  });

  it('pushes with a token got with the config.json credentials', async () => {
    const pushed = await pushComponent(ref('team/counter:1'), counter, {
      timeoutMs: 20_000,
      dockerConfigPath: goodConfig,
    });
    expect(pushed.pinned).toContain(`oci://${front.host}/team/counter@sha256:`);
    const basic = `Basic ${Buffer.from(`${TEST_USER.username}:${TEST_USER.password}`).toString('base64')}`;
    expect(
      front.tokenRequests.some(
        (r) => r.authorization === basic && r.scope === 'repository:team/counter:pull,push',
      ),
    ).toBe(true);
    expect(front.tokenRequests.every((r) => r.service === 'wasmactor-test')).toBe(true);
  });

  it('pulls anonymously with an anonymous token', async () => {
    front.tokenRequests.length = 0;
    const pulled = await pullComponent(ref('team/counter:1'), { ...limits, dockerConfigPath: noConfig });
    expect(Buffer.from(pulled.bytes).equals(Buffer.from(counter))).toBe(true);
    expect(front.tokenRequests.map((r) => r.authorization)).toEqual([undefined]);
  });

  it('refuses an anonymous push, saying no credentials were sent', async () => {
    const error = await mcpFailure(
      pushComponent(ref('team/other:1'), counter, { timeoutMs: 20_000, dockerConfigPath: noConfig }),
    );
    expect(error.code).toBe('source-denied');
    expect(error.message).toContain('no credentials were sent');
    expect(error.message).toContain(noConfig);
  });

  it('says that the token server refused the config.json credentials', async () => {
    const wrong = await writeDockerConfig(front.host, TEST_USER.username, 'wrong');
    const error = await mcpFailure(
      pullComponent(ref('team/counter:1'), { ...limits, dockerConfigPath: wrong }),
    );
    expect(error.code).toBe('source-denied');
    expect(error.message).toContain(`a token for the manifest of ${front.host}/team/counter:1`);
    expect(error.message).toContain(`from ${wrong} were sent and refused`);
  });
});

describe('credentials stay with the registry', () => {
  it('never sends them to an upload URL on another host', async () => {
    const { createServer } = await import('node:http');
    const seen: Array<{ server: string; path: string; authorization: string | undefined }> = [];
    const basic = `Basic ${Buffer.from(`${TEST_USER.username}:${TEST_USER.password}`).toString('base64')}`;
    const storage = createServer((req, res) => {
      seen.push({ server: 'storage', path: req.url ?? '', authorization: req.headers.authorization });
      req.resume();
      req.on('end', () => res.writeHead(201).end());
    });
    await new Promise<void>((resolve) => storage.listen(0, '127.0.0.1', resolve));
    const storagePort = (storage.address() as { port: number }).port;
    const fake = createServer((req, res) => {
      seen.push({ server: 'registry', path: req.url ?? '', authorization: req.headers.authorization });
      if (req.headers.authorization !== basic) {
        res.writeHead(401, { 'www-authenticate': 'Basic realm="fake"' }).end();
      } else if (req.method === 'HEAD') {
        res.writeHead(404).end();
      } else if (req.method === 'POST') {
        res.writeHead(202, { location: `http://127.0.0.1:${storagePort}/upload/1` }).end();
      } else {
        res.writeHead(500).end();
      }
    });
    await new Promise<void>((resolve) => fake.listen(0, '127.0.0.1', resolve));
    const host = `127.0.0.1:${(fake.address() as { port: number }).port}`;
    const config = await writeDockerConfig(host, TEST_USER.username, TEST_USER.password);
    try {
      // The fake registry refuses the manifest (500): what matters is where the credentials went.
      await mcpFailure(
        pushComponent(parseOciReference(`oci://${host}/a/b:1`), counter, {
          timeoutMs: 20_000,
          dockerConfigPath: config,
        }),
      );
      const uploads = seen.filter((s) => s.server === 'storage');
      expect(uploads.length).toBeGreaterThan(0);
      for (const upload of uploads) expect(upload.authorization).toBeUndefined();
      expect(seen.some((s) => s.server === 'registry' && s.authorization === basic)).toBe(true);
    } finally {
      storage.closeAllConnections();
      fake.closeAllConnections();
      storage.close();
      fake.close();
    }
  });
});
