/**
 * `wasmactor serve --http`: MCP at `/mcp` for both protocol eras on one `node:http` server, plus
 * `/healthz` and `/readyz`. Every `/mcp` request passes, in order: the `Host` and `Origin` checks (the
 * SDK's guards, against DNS rebinding), the cap on open streams, the body limit, the bearer token when
 * one is configured; then `isLegacyRequest` sends 2025-era traffic to the sessions (`LegacySessions`) and
 * the rest to the SDK's stateless `createMcpHandler`. Both share the one `WasmactorServer`.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  type AuthInfo,
  createMcpHandler,
  InMemoryServerEventBus,
  isLegacyRequest,
  localhostAllowedHostnames,
  type McpHttpHandler,
} from '@modelcontextprotocol/server';
import { log } from '../../runtime/index.ts';
import { McpError } from '../McpError.ts';
import type { WasmactorServer } from '../server/index.ts';
import { type HttpAddress, hostHeaderName, isLoopbackHost } from './address.ts';
import { type AuthGate, bearerGate } from './auth.ts';
import { LegacySessions } from './LegacySessions.ts';

/** Options of `startHttpServer`. */
export interface HttpServeOptions {
  server: WasmactorServer;
  address: HttpAddress;
  /** The bearer token every `/mcp` request must carry (`--auth-token-file`); required off loopback. */
  token?: string;
  /** Host names (besides loopback and the bound host) that `Host`/`Origin` may name (`--allow-host`). */
  allowedHosts?: string[];
  /** Prefix of legacy session ids (`--replica-id`). */
  replicaId: string;
  /** Most 2025-era sessions at once (`--max-sessions`). */
  maxSessions: number;
  /** Most `/mcp` requests and streams open at once (`--max-streams`); also caps `subscriptions/listen`. */
  maxStreams: number;
  /** A 2025-era session without a request for this long is closed (`--session-idle`). */
  sessionIdleMs: number;
  /** Largest request body, in bytes (`--max-body-size`). */
  maxBodyBytes: number;
  /**
   * Told once when a 2025-era session ends (DELETE, idle expiry, shutdown), with its id (`ctx.sessionId`
   * in the tool handlers of that session): what was opened for it can be closed.
   */
  onSessionClosed?: (sessionId: string) => void;
  /** How long shutdown waits for requests in flight before it closes them (default 10 s). */
  shutdownGraceMs?: number;
}

/** A running HTTP server. */
export interface HttpHandle {
  /** `http://HOST:PORT/mcp`. */
  url: string;
  port: number;
  /** `/readyz` answers 200 from now on (the components are restored). */
  setReady(): void;
  /** Stops accepting, lets requests in flight end (bounded), closes sessions and streams. */
  close(): Promise<void>;
}

/** The refusal of an unsafe configuration, or undefined when it may start. */
export function httpSecurityProblem(address: HttpAddress, hasToken: boolean): string | undefined {
  if (isLoopbackHost(address.host) || hasToken) return undefined;
  return (
    `refusing to listen on ${address.host}: binding anything but loopback (127.0.0.1, ::1, localhost) ` +
    'exposes every loaded component to the network, so it needs --auth-token-file FILE (a bearer token ' +
    'every client must send). Create one with `openssl rand -base64 32 > FILE`, or bind 127.0.0.1.'
  );
}

function writeJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) {
  res.writeHead(status, { 'Content-Type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}

function rpcError(
  res: ServerResponse,
  status: number,
  message: string,
  headers: Record<string, string> = {},
) {
  writeJson(res, status, { jsonrpc: '2.0', error: { code: -32000, message }, id: null }, headers);
}

/**
 * A GET stream's headers are sent with its first event otherwise, which may be a keep-alive 15 s later:
 * the client would wait that long to learn that its stream is open.
 */
function flushHeadersAtOnce(res: ServerResponse): void {
  const writeHead = res.writeHead.bind(res) as (...args: unknown[]) => ServerResponse;
  res.writeHead = ((...args: unknown[]) => {
    const written = writeHead(...args);
    res.flushHeaders();
    return written;
  }) as ServerResponse['writeHead'];
}

/** Resolves when `count()` is 0 or `ms` passed. */
async function drained(count: () => number, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (count() > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  return count() === 0;
}

/** Starts serving; rejects (McpError `http-config`) on an unsafe configuration or a port in use. */
export async function startHttpServer(options: HttpServeOptions): Promise<HttpHandle> {
  const problem = httpSecurityProblem(options.address, options.token !== undefined);
  if (problem) throw new McpError('http-config', problem);
  // Loaded here, not at the top: the Node HTTP adapter (and hono under it) is needed by `--http` alone,
  // and a plain stdio `serve` starts faster without it.
  const { hostHeaderValidation, originValidation, toNodeHandler } = await import(
    '@modelcontextprotocol/node'
  );
  const { server } = options;
  const allowed = [
    ...new Set([
      ...localhostAllowedHostnames(),
      ...(isLoopbackHost(options.address.host) ||
      options.address.host === '0.0.0.0' ||
      options.address.host === '::'
        ? []
        : [hostHeaderName(options.address.host)]),
      ...(options.allowedHosts ?? []).map(hostHeaderName),
    ]),
  ];
  if (['0.0.0.0', '::'].includes(options.address.host) && (options.allowedHosts ?? []).length === 0) {
    log.warn(
      'listening on every interface, but only loopback names pass the Host check: name the hosts ' +
        'clients use with --allow-host NAME',
      { host: options.address.host },
    );
  }
  const checkHost = hostHeaderValidation(allowed);
  const checkOrigin = originValidation(allowed);
  const gate: AuthGate | undefined = options.token === undefined ? undefined : bearerGate(options.token);
  const onerror = (error: Error) => log.warn('MCP over HTTP: request failed', { error: error.message });
  // Our own bus so that shutdown can tell open `subscriptions/listen` streams from calls in flight.
  const bus = new InMemoryServerEventBus((error) => onerror(error));
  const modern: McpHttpHandler = createMcpHandler(() => server.createMcpServer(), {
    legacy: 'reject',
    bus,
    maxRequestBodySize: options.maxBodyBytes,
    maxSubscriptions: options.maxStreams,
    onerror,
  });
  const stopNotices = server.onToolsChanged(() => modern.notify.toolsChanged());
  const sessions = new LegacySessions({
    create: () => server.createMcpServer(),
    replicaId: options.replicaId,
    maxSessions: options.maxSessions,
    idleMs: options.sessionIdleMs,
    maxBodyBytes: options.maxBodyBytes,
    ...(options.onSessionClosed ? { onSessionClosed: options.onSessionClosed } : {}),
  });

  async function route(request: Request): Promise<Response> {
    let authInfo: AuthInfo | undefined;
    if (gate) {
      const verdict = await gate(request);
      if (verdict instanceof Response) return verdict;
      authInfo = verdict;
    }
    if (await isLegacyRequest(request, undefined, { maxRequestBodySize: options.maxBodyBytes })) {
      return sessions.handle(request, authInfo);
    }
    return modern.fetch(request, authInfo ? { authInfo } : undefined);
  }
  const mcp = toNodeHandler({ fetch: route }, { maxRequestBodySize: options.maxBodyBytes, onerror });

  let ready = false;
  let closing = false;
  let openStreams = 0;
  /** Requests other than GET streams being answered: shutdown waits for them. */
  let exchanges = 0;
  /** Their responses: at shutdown, those not yet started say `Connection: close` (a proxy must not reuse it). */
  const answering = new Set<ServerResponse>();

  function serve(req: IncomingMessage, res: ServerResponse) {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    if (path === '/healthz' && req.method === 'GET') return writeJson(res, 200, { status: 'alive' });
    if (path === '/readyz' && req.method === 'GET') {
      return ready
        ? writeJson(res, 200, { status: 'ready' })
        : writeJson(res, 503, { status: 'restoring components' }, { 'Retry-After': '1' });
    }
    if (path !== '/mcp') return writeJson(res, 404, { error: `nothing at ${path}; MCP is served at /mcp` });
    if (closing) return rpcError(res, 503, 'the server is shutting down', { Connection: 'close' });
    if (!checkHost(req, res) || !checkOrigin(req, res)) return;
    if (openStreams >= options.maxStreams) {
      log.warn('HTTP request refused: too many open streams', { maxStreams: options.maxStreams });
      return rpcError(
        res,
        503,
        `too many open requests and streams (at most ${options.maxStreams}, --max-streams); retry later`,
        { 'Retry-After': '1' },
      );
    }
    openStreams++;
    const counts = req.method !== 'GET';
    if (counts) exchanges++;
    if (counts) answering.add(res);
    res.once('close', () => {
      openStreams--;
      if (counts) exchanges--;
      answering.delete(res);
    });
    if (req.method === 'GET') flushHeadersAtOnce(res);
    void mcp(req, res);
  }

  const http: Server = createServer(serve);
  await new Promise<void>((resolve, reject) => {
    http.once('error', (error: NodeJS.ErrnoException) =>
      reject(
        new McpError(
          'http-config',
          `cannot listen on ${options.address.host}:${options.address.port}: ${error.message}` +
            (error.code === 'EADDRINUSE'
              ? ' (the port is taken: choose another, or 0 for any free port)'
              : ''),
          { cause: error },
        ),
      ),
    );
    http.listen(options.address.port, options.address.host, () => resolve());
  });
  const { port } = http.address() as AddressInfo;
  const url = `http://${hostHeaderName(options.address.host)}:${port}/mcp`;

  return {
    url,
    port,
    setReady: () => {
      ready = true;
    },
    async close() {
      if (closing) return;
      closing = true;
      for (const res of answering) if (!res.headersSent) res.setHeader('Connection', 'close');
      const stopped = new Promise<void>((resolve) => http.close(() => resolve()));
      http.closeIdleConnections();
      const grace = options.shutdownGraceMs ?? 10_000;
      // A `subscriptions/listen` stream is a POST that never ends by itself: it is not waited for.
      if (!(await drained(() => Math.max(0, exchanges - bus.listenerCount), grace))) {
        log.warn('shutdown: requests still in flight after the grace period are dropped', {
          exchanges,
          grace,
        });
      }
      stopNotices();
      await sessions.closeAll();
      await modern.close();
      http.closeAllConnections();
      await stopped;
    },
  };
}
