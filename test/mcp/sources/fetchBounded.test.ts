/**
 * fetchBounded against a real node:http server on 127.0.0.1: redirects (bounded, credentials kept to the
 * origin), the size limit with and without Content-Length, the time limit over a slow body, cancellation
 * mid-transfer, the scheme rule, and the errors of unknown hosts, refused connections and bad statuses.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fetchBounded, isLoopbackHost } from '../../../src/mcp/sources/fetchBounded.ts';
import { mcpFailure } from '../../helpers/mcpFailure.ts';

type Handler = (request: IncomingMessage, response: ServerResponse) => void;

const routes = new Map<string, Handler>();
/** Authorization headers seen, by path. */
const seenAuthorization = new Map<string, string | undefined>();
/** Set when a slow or endless response's socket is closed by the client. */
const closed = new Set<string>();

function listen(server: Server): Promise<string> {
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () =>
      resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`),
    );
  });
}

const server = createServer((request, response) => {
  const path = new URL(request.url ?? '/', 'http://x').pathname;
  seenAuthorization.set(path, request.headers.authorization);
  response.on('close', () => closed.add(path));
  const handler = routes.get(path);
  if (handler) handler(request, response);
  else response.writeHead(404).end('no such page');
});
// A second origin (another port): a redirect there must not carry the Authorization header.
const other = createServer((request, response) => {
  seenAuthorization.set(`other${request.url}`, request.headers.authorization);
  response.end('other origin');
});
let base = '';
let otherBase = '';

beforeAll(async () => {
  base = await listen(server);
  otherBase = await listen(other);
  routes.set('/ok', (_q, r) => r.end('hello'));
  routes.set('/loop-a', (_q, r) => r.writeHead(302, { location: '/loop-b' }).end());
  routes.set('/loop-b', (_q, r) => r.writeHead(302, { location: '/loop-a' }).end());
  for (let i = 0; i < 3; i++)
    routes.set(`/hop${i}`, (_q, r) => r.writeHead(307, { location: `/hop${i + 1}` }).end());
  routes.set('/hop3', (_q, r) => r.end('arrived'));
  routes.set('/to-other', (_q, r) => r.writeHead(302, { location: `${otherBase}/blob` }).end());
  routes.set('/to-same', (_q, r) => r.writeHead(302, { location: '/ok' }).end());
  routes.set('/to-plain-remote', (_q, r) => r.writeHead(302, { location: 'http://example.com/x' }).end());
  routes.set('/big-declared', (_q, r) => {
    r.writeHead(200, { 'content-length': '100000' });
    r.end(Buffer.alloc(100000));
  });
  routes.set('/big-chunked', (_q, r) => {
    // No Content-Length: chunks until the client stops; never ends on its own.
    const timer = setInterval(() => r.write(Buffer.alloc(4096)), 5);
    r.on('close', () => clearInterval(timer));
  });
  routes.set('/slow', (_q, r) => {
    r.writeHead(200, { 'content-length': '10' });
    r.write('a');
    // The rest never comes.
  });
  routes.set('/denied', (_q, r) => r.writeHead(401, { 'www-authenticate': 'Basic realm="x"' }).end('no'));
  routes.set('/forbidden', (_q, r) => r.writeHead(403).end());
  routes.set('/broken', (_q, r) => r.writeHead(500).end());
  routes.set('/echo', (q, r) => {
    const chunks: Buffer[] = [];
    q.on('data', (c: Buffer) => chunks.push(c));
    q.on('end', () => r.end(`${q.method} ${Buffer.concat(chunks).toString()}`));
  });
});

afterAll(() => {
  server.closeAllConnections();
  other.closeAllConnections();
  server.close();
  other.close();
});

const limits = { maxBytes: 1024, timeoutMs: 5000 };

describe('fetchBounded', () => {
  it('reads a small body and reports progress', async () => {
    const progress: Array<[number, number | undefined]> = [];
    const response = await fetchBounded(new URL(`${base}/ok`), {
      ...limits,
      onProgress: (received, total) => progress.push([received, total]),
    });
    expect(response.status).toBe(200);
    expect(Buffer.from(response.body).toString()).toBe('hello');
    expect(progress.at(-1)).toEqual([5, 5]);
  });

  it('sends a method and a body', async () => {
    const response = await fetchBounded(new URL(`${base}/echo`), { ...limits, method: 'PUT', body: 'data' });
    expect(Buffer.from(response.body).toString()).toBe('PUT data');
  });

  it('follows a few redirects and answers the final URL', async () => {
    const response = await fetchBounded(new URL(`${base}/hop0`), limits);
    expect(Buffer.from(response.body).toString()).toBe('arrived');
    expect(response.url.pathname).toBe('/hop3');
  });

  it('refuses more redirects than allowed, naming the loop', async () => {
    const error = await mcpFailure(fetchBounded(new URL(`${base}/loop-a`), limits));
    expect(error.code).toBe('source-invalid');
    expect(error.message).toMatch(/more than 5 times \(a redirect loop\).*loop-a -> .*loop-b -> .*loop-a/);
    const fewer = await mcpFailure(fetchBounded(new URL(`${base}/hop0`), { ...limits, maxRedirects: 2 }));
    expect(fewer.message).toContain('more than 2 times');
  });

  it('keeps the Authorization header to its origin across redirects', async () => {
    const headers = { authorization: 'Bearer secret-token' };
    await fetchBounded(new URL(`${base}/to-same`), { ...limits, headers });
    expect(seenAuthorization.get('/ok')).toBe('Bearer secret-token');
    const response = await fetchBounded(new URL(`${base}/to-other`), { ...limits, headers });
    expect(Buffer.from(response.body).toString()).toBe('other origin');
    expect(seenAuthorization.has('other/blob')).toBe(true);
    expect(seenAuthorization.get('other/blob')).toBeUndefined();
  });

  it('refuses plain http to a host that is not loopback, first or after a redirect', async () => {
    const first = await mcpFailure(fetchBounded(new URL('http://example.com/x.wasm'), limits));
    expect(first.code).toBe('bad-path');
    expect(first.message).toContain('only https://');
    const redirected = await mcpFailure(fetchBounded(new URL(`${base}/to-plain-remote`), limits));
    expect(redirected.code).toBe('source-invalid');
    expect(redirected.message).toContain('redirects to http://example.com/x');
    const other = await mcpFailure(fetchBounded(new URL('ftp://127.0.0.1/x'), limits));
    expect(other.code).toBe('bad-path');
    const blocked = await mcpFailure(fetchBounded(new URL('http://127.0.0.1:6000/x'), limits));
    expect(blocked.message).toContain('uses port 6000, which fetch refuses');
  });

  it('knows the loopback hosts', () => {
    for (const host of ['localhost', '127.0.0.1', '127.1.2.3', '[::1]'])
      expect(isLoopbackHost(host)).toBe(true);
    for (const host of ['example.com', '10.0.0.1', '128.0.0.1', '127.0.0.1.example.com', '[::2]']) {
      expect(isLoopbackHost(host)).toBe(false);
    }
  });

  it('refuses a body whose Content-Length is over the limit, before reading it', async () => {
    const error = await mcpFailure(
      fetchBounded(new URL(`${base}/big-declared`), { ...limits, sizeLimitHint: '--max-x' }),
    );
    expect(error.code).toBe('source-too-large');
    expect(error.message).toMatch(/is 100000 bytes, more than the limit of 1024 bytes.*--max-x/);
  });

  it('stops a body without Content-Length once it passes the limit', async () => {
    const error = await mcpFailure(
      fetchBounded(new URL(`${base}/big-chunked`), { ...limits, maxBytes: 20000 }),
    );
    expect(error.code).toBe('source-too-large');
    expect(error.message).toContain('more than the limit of 20000 bytes');
    // The endless response is cut: the server sees its socket close.
    await expect.poll(() => closed.has('/big-chunked'), { timeout: 3000 }).toBe(true);
  });

  it('gives up on a body that does not finish in time', async () => {
    const started = Date.now();
    const error = await mcpFailure(fetchBounded(new URL(`${base}/slow`), { ...limits, timeoutMs: 300 }));
    expect(error.code).toBe('source-timeout');
    expect(error.message).toContain('within 0.3 s');
    expect(Date.now() - started).toBeLessThan(3000);
  });

  it('stops mid-transfer when the caller aborts', async () => {
    const controller = new AbortController();
    const pending = fetchBounded(new URL(`${base}/big-chunked`), {
      maxBytes: 100_000_000,
      timeoutMs: 10_000,
      signal: controller.signal,
      onProgress: (received) => {
        if (received > 8192) controller.abort();
      },
    });
    const error = await mcpFailure(pending);
    expect(error.code).toBe('load-cancelled');
    const already = await mcpFailure(
      fetchBounded(new URL(`${base}/ok`), { ...limits, signal: controller.signal }),
    );
    expect(already.code).toBe('load-cancelled');
  });

  it('maps 404, 401, 403 and 500, and returns the statuses it is told to pass', async () => {
    expect((await mcpFailure(fetchBounded(new URL(`${base}/nothing`), limits))).code).toBe(
      'source-not-found',
    );
    expect((await mcpFailure(fetchBounded(new URL(`${base}/denied`), limits))).code).toBe('source-denied');
    expect((await mcpFailure(fetchBounded(new URL(`${base}/forbidden`), limits))).code).toBe('source-denied');
    const broken = await mcpFailure(fetchBounded(new URL(`${base}/broken`), limits));
    expect(broken.code).toBe('source-unreachable');
    expect(broken.message).toContain('answered 500');
    const passed = await fetchBounded(new URL(`${base}/denied`), { ...limits, passStatuses: [401] });
    expect(passed.status).toBe(401);
    expect(passed.headers.get('www-authenticate')).toBe('Basic realm="x"');
  });

  it('names an unknown host and a refused connection', async () => {
    const unknown = await mcpFailure(fetchBounded(new URL('https://no-such-host.invalid/x'), limits));
    expect(unknown.code).toBe('source-unreachable');
    expect(unknown.message).toMatch(/cannot resolve host "no-such-host.invalid" \((ENOTFOUND|EAI_AGAIN)\)/);
    const closedServer = createServer();
    const url = await listen(closedServer);
    await new Promise((resolve) => closedServer.close(resolve));
    const refused = await mcpFailure(fetchBounded(new URL(`${url}/x`), limits));
    expect(refused.code).toBe('source-unreachable');
    expect(refused.message).toContain('refused (ECONNREFUSED)');
  });
});

describe('fetchBounded over TLS', () => {
  it('names a self-signed certificate and hints NODE_EXTRA_CA_CERTS', async () => {
    const { execFileSync } = await import('node:child_process');
    const { mkdtempSync, readFileSync, rmSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const { createServer: createHttps } = await import('node:https');
    const dir = mkdtempSync(join(tmpdir(), 'wasmactor-tls-'));
    try {
      execFileSync(
        'openssl',
        [
          'req',
          '-x509',
          '-newkey',
          'ec',
          '-pkeyopt',
          'ec_paramgen_curve:P-256',
          '-nodes',
          '-days',
          '1',
          '-subj',
          '/CN=127.0.0.1',
          '-addext',
          'subjectAltName=IP:127.0.0.1',
          '-keyout',
          join(dir, 'key.pem'),
          '-out',
          join(dir, 'cert.pem'),
        ],
        { stdio: 'ignore' },
      );
      const tls = createHttps(
        { key: readFileSync(join(dir, 'key.pem')), cert: readFileSync(join(dir, 'cert.pem')) },
        (_q, r) => r.end('secret'),
      );
      await new Promise<void>((resolve) => tls.listen(0, '127.0.0.1', resolve));
      const port = (tls.address() as AddressInfo).port;
      try {
        const error = await mcpFailure(fetchBounded(new URL(`https://127.0.0.1:${port}/x`), limits));
        expect(error.code).toBe('source-unreachable');
        expect(error.message).toContain('self-signed (DEPTH_ZERO_SELF_SIGNED_CERT)');
        expect(error.message).toContain('NODE_EXTRA_CA_CERTS=/path/ca.pem');
      } finally {
        tls.closeAllConnections();
        tls.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
