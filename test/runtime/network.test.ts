/**
 * Outgoing HTTP from a real guest (the `http-probe` fixture: componentize-js `fetch` over wasi:http),
 * run in its instance worker by `prepareComponent`, against a real HTTP server on 127.0.0.1. Only the
 * hosts in `allowedHosts` are reached; everything else is answered `HTTP-request-denied` before any
 * connection is made.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isHostAllowed, parseNetworkHost } from '../../src/runtime/index.ts';
import { emptyPolicy, grantNetwork, policyToSandbox } from '../../src/runtime/policy/index.ts';
import { prepareComponent } from '../../src/runtime/prepare/prepareComponent.ts';
import type { CallOutcome, PreparedComponent, SandboxSpec } from '../../src/runtime/types.ts';
import { fixturePath } from '../helpers/fixtures.ts';

const cacheDir = mkdtempSync(join(tmpdir(), 'wasmactor-network-'));
let server: Server;
let otherServer: Server;
let port: number;
let otherPort: number;
/** Paths the server was asked for: proof that a request went out, or did not. */
const requests: string[] = [];
let probe: PreparedComponent;

function listen(s: Server): Promise<number> {
  return new Promise((resolve) => s.listen(0, '127.0.0.1', () => resolve((s.address() as AddressInfo).port)));
}

beforeAll(async () => {
  const handler = (name: string) =>
    createServer((req, res) => {
      requests.push(`${name} ${req.url}`);
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end(`hello from ${name} ${req.url}`);
    });
  server = handler('main');
  otherServer = handler('other');
  port = await listen(server);
  otherPort = await listen(otherServer);
  probe = await prepareComponent({ path: fixturePath('http-probe') }, { cacheDir });
}, 180_000);

afterAll(async () => {
  await probe?.dispose();
  server?.close();
  otherServer?.close();
  rmSync(cacheDir, { recursive: true, force: true });
});

function get(url: string, sandbox: SandboxSpec): Promise<CallOutcome> {
  return probe.callOnce('get', { url }, sandbox, { timeoutMs: 30_000 });
}

describe('outgoing HTTP from a sandboxed guest', () => {
  it('reaches an allowed host for real', async () => {
    const outcome = await get(`http://127.0.0.1:${port}/allowed`, { allowedHosts: ['127.0.0.1'] });
    expect(outcome).toMatchObject({ ok: true, value: { ok: `200 hello from main /allowed` } });
    expect(requests).toContain('main /allowed');
  });

  it('reaches an allowed host:port granted through a policy', async () => {
    const sandbox = policyToSandbox(grantNetwork(emptyPolicy(), `127.0.0.1:${port}`), { envValues: {} });
    const outcome = await get(`http://127.0.0.1:${port}/via-policy`, sandbox);
    expect(outcome).toMatchObject({ ok: true, value: { ok: '200 hello from main /via-policy' } });
  });

  it('denies a host that is not allowed, without a request going out', async () => {
    const outcome = await get(`http://localhost:${port}/other-host`, { allowedHosts: ['127.0.0.1'] });
    expect(outcome.denials).toEqual([{ kind: 'network', scheme: 'http', authority: `localhost:${port}` }]);
    expect(requests.some((r) => r.endsWith('/other-host'))).toBe(false);
  });

  it('denies another port of an allowed host:port', async () => {
    const outcome = await get(`http://127.0.0.1:${otherPort}/other-port`, {
      allowedHosts: [`127.0.0.1:${port}`],
    });
    expect(outcome.denials).toEqual([
      { kind: 'network', scheme: 'http', authority: `127.0.0.1:${otherPort}` },
    ]);
    expect(requests.some((r) => r.endsWith('/other-port'))).toBe(false);
  });

  it('denies every host when nothing is granted', async () => {
    const outcome = await get(
      `http://127.0.0.1:${port}/nothing`,
      policyToSandbox(emptyPolicy(), { envValues: {} }),
    );
    expect(outcome.denials).toEqual([{ kind: 'network', scheme: 'http', authority: `127.0.0.1:${port}` }]);
    expect(requests.some((r) => r.endsWith('/nothing'))).toBe(false);
  });

  it('denies http when only https was granted for the host', async () => {
    const sandbox = policyToSandbox(grantNetwork(emptyPolicy(), `https://127.0.0.1:${port}`), {
      envValues: {},
    });
    const outcome = await get(`http://127.0.0.1:${port}/scheme`, sandbox);
    expect(outcome.denials).toEqual([{ kind: 'network', scheme: 'http', authority: `127.0.0.1:${port}` }]);
    expect(requests.some((r) => r.endsWith('/scheme'))).toBe(false);
  });
});

describe('one host grammar for grants and requests', () => {
  it('grants exactly what the sandbox then allows (grants and requests read by the same parser)', () => {
    const cases: [grant: string, authority: string, scheme: string, allowed: boolean][] = [
      ['API.Example.com', 'api.example.com', 'https', true],
      ['api.example.com', 'api.example.com:8443', 'https', true],
      ['api.example.com:8443', 'api.example.com', 'https', false],
      ['api.example.com:8443', 'api.example.com:08443', 'https', true],
      ['https://api.example.com', 'api.example.com', 'http', false],
      ['http://api.example.com', 'api.example.com', 'http', true],
      ['*.example.com', 'a.b.example.com', 'https', true],
      ['*.example.com', 'example.com', 'https', false],
      ['*.example.com', 'evilexample.com', 'https', false],
      ['[::1]:8080', '[::1]:8080', 'http', true],
      ['api.example.com', 'user@api.example.com', 'https', false],
      ['api.example.com', 'api.example.com/x', 'https', false],
      ['api.example.com', '*.example.com', 'https', false],
      ['*.example.com', '*.example.com', 'https', false],
      ['api.example.com', 'api.example.com:99999', 'https', false],
    ];
    for (const [grant, authority, scheme, allowed] of cases) {
      const policy = grantNetwork(emptyPolicy(), grant);
      const { allowedHosts = [] } = policyToSandbox(policy, { envValues: {} });
      expect(isHostAllowed(authority, allowedHosts, scheme), `${grant} / ${scheme}://${authority}`).toBe(
        allowed,
      );
    }
  });

  it('a grant the grammar refuses allows nothing in the sandbox either', () => {
    for (const entry of ['*', 'ftp://x.com', 'a b', 'x.com/a path', 'user:pw@x.com/', 'x.com:0']) {
      expect(parseNetworkHost(entry).ok).toBe(false);
      expect(isHostAllowed('x.com', [entry], 'https')).toBe(false);
    }
  });
});
