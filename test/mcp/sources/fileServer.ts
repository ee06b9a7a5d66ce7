/**
 * A tiny web server for the remote-source tests, on 127.0.0.1: plain HTTP, or HTTPS with a certificate
 * signed by a CA made for the test with Debian's `openssl` (node:crypto cannot create certificates). It
 * serves registered bodies, counts the requests of each path, and can send a body slowly or stall.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';

/** A CA and a server certificate for 127.0.0.1 and localhost, as PEM files in `dir`. */
export interface TestCertificates {
  caPath: string;
  key: string;
  cert: string;
}

/** Makes a CA and a server certificate (SAN 127.0.0.1, localhost) signed by it, in `dir`. */
export function makeCertificates(dir: string): TestCertificates {
  const at = (name: string) => join(dir, name);
  const openssl = (...args: string[]) => execFileSync('openssl', args, { stdio: 'pipe' });
  openssl(
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-days',
    '2',
    '-subj',
    '/CN=wasmactor test CA',
    '-keyout',
    at('ca.key'),
    '-out',
    at('ca.pem'),
  );
  writeFileSync(at('ext.cnf'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\n');
  openssl(
    'req',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-subj',
    '/CN=127.0.0.1',
    '-keyout',
    at('server.key'),
    '-out',
    at('server.csr'),
  );
  openssl(
    'x509',
    '-req',
    '-in',
    at('server.csr'),
    '-CA',
    at('ca.pem'),
    '-CAkey',
    at('ca.key'),
    '-CAcreateserial',
    '-days',
    '2',
    '-extfile',
    at('ext.cnf'),
    '-out',
    at('server.pem'),
  );
  return {
    caPath: at('ca.pem'),
    key: readFileSync(at('server.key'), 'utf8'),
    cert: readFileSync(at('server.pem'), 'utf8'),
  };
}

/** How a registered body is sent. */
export interface Route {
  body: Uint8Array;
  /** Send in chunks of this many bytes, `delayMs` apart (default: all at once). */
  chunk?: number;
  delayMs?: number;
  /** Send this many bytes, then nothing more (the connection stays open until the client goes). */
  stallAfter?: number;
  /** Answer with this status instead of 200 (the body is still sent). */
  status?: number;
  /** The Content-Type (default application/wasm). */
  type?: string;
}

/** A running test server. */
export interface FileServer {
  /** `https://127.0.0.1:PORT` or `http://127.0.0.1:PORT`. */
  base: string;
  routes: Map<string, Route>;
  /** Requests received, by path. */
  requests: Map<string, number>;
  /** Paths whose response the client abandoned before it was complete. */
  abandoned: Set<string>;
  stop(): Promise<void>;
}

function serve(route: Route | undefined, path: string, response: ServerResponse, server: FileServer): void {
  if (!route) {
    response.writeHead(404).end('not found');
    return;
  }
  let finished = false;
  response.on('finish', () => {
    finished = true;
  });
  response.on('close', () => {
    if (!finished) server.abandoned.add(path);
  });
  response.writeHead(route.status ?? 200, {
    'content-type': route.type ?? 'application/wasm',
    'content-length': String(route.body.length),
  });
  const chunk = route.chunk ?? route.body.length;
  const limit = route.stallAfter ?? route.body.length;
  let sent = 0;
  const next = () => {
    if (response.destroyed) return;
    if (sent >= limit) {
      if (sent >= route.body.length) response.end();
      return;
    }
    const end = Math.min(sent + chunk, limit);
    response.write(route.body.subarray(sent, end));
    sent = end;
    if (route.delayMs === undefined) next();
    else setTimeout(next, route.delayMs);
  };
  next();
}

/** Starts a server on 127.0.0.1 (HTTPS when `certificates` are given). */
export async function startFileServer(certificates?: TestCertificates): Promise<FileServer> {
  const server: FileServer = {
    base: '',
    routes: new Map(),
    requests: new Map(),
    abandoned: new Set(),
    stop: async () => undefined,
  };
  const handler = (request: IncomingMessage, response: ServerResponse) => {
    const path = new URL(request.url ?? '/', 'http://x').pathname;
    server.requests.set(path, (server.requests.get(path) ?? 0) + 1);
    serve(server.routes.get(path), path, response, server);
  };
  const listener = certificates
    ? createHttpsServer({ key: certificates.key, cert: certificates.cert }, handler)
    : createHttpServer(handler);
  await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
  const { port } = listener.address() as AddressInfo;
  server.base = `${certificates ? 'https' : 'http'}://127.0.0.1:${port}`;
  server.stop = () =>
    new Promise<void>((resolve) => {
      listener.closeAllConnections();
      listener.close(() => resolve());
    });
  return server;
}

/** `bytes` with a custom section appended that makes them `size` bytes or more: still the same component. */
export function padded(bytes: Uint8Array, extra: number): Uint8Array {
  const name = new TextEncoder().encode('wasmactor-test-padding');
  const payload = name.length + 1 + extra;
  const leb: number[] = [];
  let n = payload;
  do {
    let byte = n & 0x7f;
    n >>>= 7;
    if (n !== 0) byte |= 0x80;
    leb.push(byte);
  } while (n !== 0);
  const out = new Uint8Array(bytes.length + 1 + leb.length + payload);
  out.set(bytes, 0);
  let at = bytes.length;
  out[at++] = 0;
  out.set(leb, at);
  at += leb.length;
  out[at++] = name.length;
  out.set(name, at);
  return out;
}
