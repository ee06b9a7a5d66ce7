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
