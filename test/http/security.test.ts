/**
 * The guards of `serve --http`, in process over real HTTP on loopback: Host and Origin checks, the bearer
 * token, the body limit, the caps on sessions and on open streams, idle expiry of 2025-era sessions,
 * `/healthz` and `/readyz`, and the refusal to bind off loopback without a token.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { httpSecurityProblem, startHttpServer } from '../../src/mcp/http/index.ts';
import { setLogLevel } from '../../src/runtime/index.ts';
import { initializeSession, MCP_HEADERS, raw, startInProcess } from './helpers.ts';

const TOKEN = 'k3Jq8vQz1xYb7LmN0pRs4TuW';
const LIST = JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'tools/list', params: {} });

const open: { close(): Promise<void> }[] = [];
beforeAll(() => setLogLevel('error'));
afterAll(() => setLogLevel('info'));
afterEach(async () => {
  await Promise.allSettled(open.splice(0).map((s) => s.close()));
});

async function serve(options: Parameters<typeof startInProcess>[0] = {}) {
  const served = await startInProcess(options);
  open.push(served);
  return served;
}

function listIn(url: string, sessionId: string, headers: Record<string, string> = {}) {
  return fetch(url, {
    method: 'POST',
    headers: {
      ...MCP_HEADERS,
      'mcp-session-id': sessionId,
      'mcp-protocol-version': '2025-06-18',
      ...headers,
    },
    body: LIST,
  });
}

describe('DNS rebinding: Host and Origin', () => {
  it('refuses a Host that is not this server with 403, accepts localhost and 127.0.0.1', async () => {
    const { url, http } = await serve();
    const body = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: {} });
    const evil = await raw(url, { method: 'POST', headers: { ...MCP_HEADERS, host: 'evil.example' }, body });
    expect(evil.status).toBe(403);
    expect(evil.body).toContain('Invalid Host');
    for (const host of [`localhost:${http.port}`, `127.0.0.1:${http.port}`]) {
      const ok = await raw(url, { method: 'POST', headers: { ...MCP_HEADERS, host }, body });
      expect(ok.status).not.toBe(403);
    }
  });

  it('refuses a foreign Origin with 403, accepts a loopback Origin and none', async () => {
    const { url } = await serve();
    const evil = await initializeSession(url, { origin: 'http://evil.example' });
    expect(evil.status).toBe(403);
    expect((await initializeSession(url, { origin: 'http://localhost:5173' })).status).toBe(200);
    expect((await initializeSession(url)).status).toBe(200);
  });

  it('accepts a host named with --allow-host', async () => {
    const { url, http } = await serve({ allowedHosts: ['mcp.internal'] });
    const body = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: {} });
    const res = await raw(url, {
      method: 'POST',
      headers: { ...MCP_HEADERS, host: `mcp.internal:${http.port}` },
      body,
    });
    expect(res.status).not.toBe(403);
  });
});

describe('the bearer token', () => {
  it('answers 401 with a Bearer WWW-Authenticate without a token and with a wrong one', async () => {
    const { url } = await serve({ token: TOKEN });
    const wrong = [
      undefined,
      'Bearer nope',
      `Bearer ${TOKEN.slice(0, -1)}X`,
      `Bearer ${TOKEN}x`,
      `Basic ${TOKEN}`,
    ];
    for (const authorization of wrong) {
      const res = await initializeSession(url, authorization === undefined ? {} : { authorization });
      expect(res.status, String(authorization)).toBe(401);
      expect(res.headers.get('www-authenticate'), String(authorization)).toMatch(/^Bearer/);
      expect(res.sessionId).toBeNull();
    }
  });

  it('serves a request with the right token', async () => {
    const { url } = await serve({ token: TOKEN });
    const res = await initializeSession(url, { authorization: `Bearer ${TOKEN}` });
    expect(res.status).toBe(200);
    expect(res.sessionId).toMatch(/^rtest\./);
    const listed = await listIn(url, res.sessionId as string, { authorization: `Bearer ${TOKEN}` });
    expect(listed.status).toBe(200);
    expect(await listed.text()).toContain('"echo"');
    // The session id alone is not a credential.
    expect((await listIn(url, res.sessionId as string)).status).toBe(401);
  });

  it('refuses to bind anything but loopback without a token, and says what to do', async () => {
    const problem = httpSecurityProblem({ host: '0.0.0.0', port: 0 }, false);
    expect(problem).toContain('--auth-token-file');
    expect(httpSecurityProblem({ host: '0.0.0.0', port: 0 }, true)).toBeUndefined();
    expect(httpSecurityProblem({ host: '127.0.0.1', port: 0 }, false)).toBeUndefined();
    expect(httpSecurityProblem({ host: '::1', port: 0 }, false)).toBeUndefined();
    const { server } = await serve();
    await expect(
      startHttpServer({
        server,
        address: { host: '0.0.0.0', port: 0 },
        replicaId: 'r',
        maxSessions: 1,
        maxStreams: 1,
        sessionIdleMs: 1000,
        maxBodyBytes: 1024,
      }),
    ).rejects.toThrow(/--auth-token-file/);
  });
});

describe('limits', () => {
  it('answers 413 to a body over --max-body-size and serves one under it', async () => {
    const { url } = await serve({ maxBodyBytes: 64 * 1024 });
    const padded = (bytes: number) =>
      JSON.stringify({ ...JSON.parse(LIST), params: { _meta: { pad: 'x'.repeat(bytes) } } });
    const { sessionId } = await initializeSession(url);
    const big = await fetch(url, {
      method: 'POST',
      headers: { ...MCP_HEADERS, 'mcp-session-id': sessionId as string },
      body: padded(100 * 1024),
    });
    expect(big.status).toBe(413);
    const small = await fetch(url, {
      method: 'POST',
      headers: {
        ...MCP_HEADERS,
        'mcp-session-id': sessionId as string,
        'mcp-protocol-version': '2025-06-18',
      },
      body: padded(1024),
    });
    expect(small.status).toBe(200);
  });

  it('caps the 2025-era sessions at --max-sessions; a DELETE frees a place', async () => {
    const { url } = await serve({ maxSessions: 2 });
    const first = await initializeSession(url);
    const second = await initializeSession(url);
    expect([first.status, second.status]).toEqual([200, 200]);
    const third = await initializeSession(url);
    expect(third.status).toBe(503);
    expect(third.body).toContain('--max-sessions');
    expect(third.sessionId).toBeNull();
    const deleted = await fetch(url, {
      method: 'DELETE',
      headers: { 'mcp-session-id': first.sessionId as string },
    });
    expect(deleted.status).toBe(200);
    expect((await initializeSession(url)).status).toBe(200);
  });

  it('caps the open requests and streams at --max-streams', async () => {
    const { url } = await serve({ maxStreams: 2 });
    const streams: AbortController[] = [];
    try {
      for (let i = 0; i < 2; i++) {
        const { sessionId } = await initializeSession(url);
        const abort = new AbortController();
        streams.push(abort);
        const get = await fetch(url, {
          headers: { accept: 'text/event-stream', 'mcp-session-id': sessionId as string },
          signal: abort.signal,
        });
        expect(get.status).toBe(200);
      }
      const refused = await initializeSession(url);
      expect(refused.status).toBe(503);
      expect(refused.body).toContain('--max-streams');
    } finally {
      for (const abort of streams) abort.abort();
    }
    await expect.poll(async () => (await initializeSession(url)).status, { timeout: 5000 }).toBe(200);
  });
});

describe('2025-era sessions', () => {
  it('mints ids <replica-id>.<128 random bits> and answers 404 to an unknown one', async () => {
    const { url } = await serve();
    const ids = new Set<string>();
    for (let i = 0; i < 5; i++) {
      const { sessionId } = await initializeSession(url);
      expect(sessionId).toMatch(/^rtest\.[A-Za-z0-9_-]{22}$/);
      ids.add(sessionId as string);
    }
    expect(ids.size).toBe(5);
    const unknown = await listIn(url, 'rtest.AAAAAAAAAAAAAAAAAAAAAA');
    expect(unknown.status).toBe(404);
  });

  it('closes a session idle for --session-idle, not one in use', async () => {
    const { url } = await serve({ sessionIdleMs: 300 });
    const idle = await initializeSession(url);
    const busy = await initializeSession(url);
    const until = Date.now() + 1200;
    while (Date.now() < until) {
      expect((await listIn(url, busy.sessionId as string)).status).toBe(200);
      await new Promise((r) => setTimeout(r, 100));
    }
    const late = await listIn(url, idle.sessionId as string);
    expect(late.status).toBe(404);
    expect(await late.text()).toContain('initialize a new one');
  });
});

describe('the end of a session', () => {
  it('is told once, with the id, after a DELETE, an idle expiry and a shutdown', async () => {
    const ended: string[] = [];
    const served = await startInProcess({ sessionIdleMs: 300, onSessionClosed: (id) => ended.push(id) });
    const { url } = served;
    const deleted = (await initializeSession(url)).sessionId as string;
    await fetch(url, { method: 'DELETE', headers: { 'mcp-session-id': deleted } });
    await expect.poll(() => ended).toEqual([deleted]);
    const idle = (await initializeSession(url)).sessionId as string;
    await expect.poll(() => ended, { timeout: 5000 }).toEqual([deleted, idle]);
    const open = (await initializeSession(url)).sessionId as string;
    expect((await listIn(url, open)).status).toBe(200);
    await served.close();
    expect(ended).toEqual([deleted, idle, open]);
  });
});

describe('start', () => {
  it('names a taken port and the fix', async () => {
    const { server, http } = await serve();
    await expect(
      startHttpServer({
        server,
        address: { host: '127.0.0.1', port: http.port },
        replicaId: 'r',
        maxSessions: 1,
        maxStreams: 1,
        sessionIdleMs: 1000,
        maxBodyBytes: 1024,
      }),
    ).rejects.toThrow(/the port is taken/);
  });
});

describe('health', () => {
  it('/healthz is 200 at once; /readyz is 503 until the components are restored, then 200', async () => {
    const { base, http } = await serve();
    expect((await raw(`${base}/healthz`)).status).toBe(200);
    const before = await raw(`${base}/readyz`);
    expect(before.status).toBe(503);
    http.setReady();
    expect((await raw(`${base}/readyz`)).status).toBe(200);
    expect((await raw(`${base}/nothing`)).status).toBe(404);
  });
});
