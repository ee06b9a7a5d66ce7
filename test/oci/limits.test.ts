/**
 * The limits of a pull against registries that misbehave (small node:http servers on 127.0.0.1): one
 * time limit over the whole pull, cancellation mid-blob, a 403 that says the credentials were sent, a
 * redirect of the blob to another origin without the registry's credentials.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { parseOciReference, pullComponent } from '../../src/mcp/sources/index.ts';
import { fixturePath } from '../helpers/fixtures.ts';
import { mcpFailure } from '../helpers/mcpFailure.ts';
import { TEST_USER, writeDockerConfig } from './registry.ts';

type Handler = (req: IncomingMessage, res: ServerResponse) => void;
const servers: Server[] = [];
let counter: Buffer;
const sha256 = (bytes: Uint8Array) => `sha256:${createHash('sha256').update(bytes).digest('hex')}`;

async function serve(handler: Handler): Promise<string> {
  const server = createServer(handler);
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** A manifest of the wasm layout over `counter`. */
function manifest(): string {
  return JSON.stringify({
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    config: { mediaType: 'application/vnd.wasm.config.v0+json', digest: sha256(Buffer.from('{}')), size: 2 },
    layers: [{ mediaType: 'application/wasm', digest: sha256(counter), size: counter.byteLength }],
  });
}

beforeAll(async () => {
  counter = await readFile(fixturePath('counter'));
});

afterEach(() => {
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    server.close();
  }
});

/** Serves the manifest; the blob starts (100 bytes of `counter`) and never finishes. */
const stalledBlob: Handler = (req, res) => {
  if (req.url?.includes('/manifests/')) {
    res.writeHead(200, { 'content-type': 'application/vnd.oci.image.manifest.v1+json' }).end(manifest());
  } else {
    res.writeHead(200, { 'content-length': String(counter.byteLength) });
    res.write(counter.subarray(0, 100));
  }
};

describe('a pull', () => {
  it('has one time limit over every request, the blob included', async () => {
    const host = await serve(stalledBlob);
    const started = Date.now();
    const error = await mcpFailure(
      pullComponent(parseOciReference(`oci://${host}/a/b:1`), { maxBytes: 1 << 26, timeoutMs: 500 }),
    );
    expect(error.code).toBe('source-timeout');
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('stops mid-blob when cancelled', async () => {
    const host = await serve(stalledBlob);
    const controller = new AbortController();
    const error = await mcpFailure(
      pullComponent(parseOciReference(`oci://${host}/a/b:1`), {
        maxBytes: 1 << 26,
        timeoutMs: 20_000,
        signal: controller.signal,
        onProgress: () => controller.abort(),
      }),
    );
    expect(error.code).toBe('load-cancelled');
  });

  it('says that config.json credentials were sent when the registry forbids (403)', async () => {
    const host = await serve((req, res) => {
      if (req.headers.authorization === undefined) {
        res.writeHead(401, { 'www-authenticate': 'Basic realm="r"' }).end();
      } else {
        res.writeHead(403).end();
      }
    });
    const config = await writeDockerConfig(host, TEST_USER.username, TEST_USER.password);
    const error = await mcpFailure(
      pullComponent(parseOciReference(`oci://${host}/a/b:1`), {
        maxBytes: 1 << 26,
        timeoutMs: 20_000,
        dockerConfigPath: config,
      }),
    );
    expect(error.code).toBe('source-denied');
    expect(error.message).toContain('403 Forbidden');
    expect(error.message).toContain(`from ${config} were sent and do not allow this`);
  });

  it('follows a blob redirect to storage on another origin without the credentials', async () => {
    const seen: Array<string | undefined> = [];
    const storage = await serve((req, res) => {
      seen.push(req.headers.authorization);
      res.writeHead(200).end(counter);
    });
    const basic = `Basic ${Buffer.from(`${TEST_USER.username}:${TEST_USER.password}`).toString('base64')}`;
    const host = await serve((req, res) => {
      if (req.headers.authorization !== basic) {
        res.writeHead(401, { 'www-authenticate': 'Basic realm="r"' }).end();
      } else if (req.url?.includes('/manifests/')) {
        res.writeHead(200, { 'content-type': 'application/vnd.oci.image.manifest.v1+json' }).end(manifest());
      } else {
        res.writeHead(307, { location: `http://${storage}/blob?signed=1` }).end();
      }
    });
    const config = await writeDockerConfig(host, TEST_USER.username, TEST_USER.password);
    const pulled = await pullComponent(parseOciReference(`oci://${host}/a/b:1`), {
      maxBytes: 1 << 26,
      timeoutMs: 20_000,
      dockerConfigPath: config,
    });
    expect(Buffer.from(pulled.bytes).equals(counter)).toBe(true);
    expect(seen).toEqual([undefined]);
  });
});
