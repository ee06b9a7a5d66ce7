/**
 * The inspector's routes. Every route is GET (or HEAD); an unknown path is 404, another method 405, a
 * Host header that is not ours 403 (keeps DNS-rebinding pages out), and nothing a request does can throw
 * out of the handler (a failure is logged and answered 500, or the socket is destroyed once the headers are
 * out).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ComponentHost } from '../machines/index.ts';
import { log } from '../runtime/index.ts';
import type { ChartModel } from './chartModel.ts';
import type { EventStreams } from './EventStreams.ts';
import { MAX_EVENT_STREAMS } from './EventStreams.ts';
import type { Inspector } from './Inspector.ts';
import { takeSnapshot } from './snapshot.ts';

/** What the routes serve. */
export interface RouteContext {
  host: ComponentHost;
  inspector: Inspector;
  chart: ChartModel;
  chartSvg: string;
  page: string;
  streams: EventStreams;
  /** The port the server listens on (known once it listens). */
  port: () => number;
}

type Headers = Record<string, string>;

const ROUTES = new Set(['/', '/api/snapshot', '/api/chart', '/api/log', '/api/events', '/chart.svg']);
const SECURITY_HEADERS = {
  'Cache-Control': 'no-store',
  'X-Content-Type-Options': 'nosniff',
  'Content-Security-Policy':
    "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'; img-src data:",
};

function send(res: ServerResponse, status: number, type: string, body: string, extra: Headers = {}): void {
  res.writeHead(status, {
    'Content-Type': type,
    'Content-Length': Buffer.byteLength(body),
    ...SECURITY_HEADERS,
    ...extra,
  });
  res.end(res.req.method === 'HEAD' ? undefined : body);
}

function json(res: ServerResponse, status: number, value: unknown, extra: Headers = {}): void {
  send(res, status, 'application/json; charset=utf-8', `${JSON.stringify(value, null, 1)}\n`, extra);
}

function problem(res: ServerResponse, status: number, message: string, extra: Headers = {}): void {
  json(res, status, { error: message }, extra);
}

/** The request's URL when it may be served; otherwise answers it with the problem and returns undefined. */
function admit(req: IncomingMessage, res: ServerResponse, port: number): URL | undefined {
  const hostHeader = req.headers.host ?? '';
  if (hostHeader !== `127.0.0.1:${port}` && hostHeader !== `localhost:${port}`) {
    problem(res, 403, `unexpected Host header "${hostHeader}"; open http://127.0.0.1:${port}/`);
    return undefined;
  }
  let url: URL;
  try {
    url = new URL(req.url ?? '/', `http://127.0.0.1:${port}`);
  } catch {
    problem(res, 400, 'bad request target');
    return undefined;
  }
  if (!ROUTES.has(url.pathname)) {
    problem(res, 404, `no such page: ${url.pathname}`);
    return undefined;
  }
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    problem(res, 405, `${req.method} is not allowed; the inspector is read-only`, { Allow: 'GET, HEAD' });
    return undefined;
  }
  return url;
}

/** `/api/log?since=SEQ&component=ID` */
function serveLog(ctx: RouteContext, url: URL, res: ServerResponse): void {
  const sinceText = url.searchParams.get('since') ?? '0';
  const since = Number(sinceText);
  if (!/^\d+$/.test(sinceText) || !Number.isSafeInteger(since)) {
    problem(res, 400, `since must be a non-negative integer, got "${sinceText}"`);
    return;
  }
  const component = url.searchParams.get('component') ?? undefined;
  json(res, 200, ctx.inspector.log({ since, ...(component !== undefined ? { component } : {}) }));
}

/** `/api/events`: a server-sent-event stream, or 503 when too many are open. */
function serveEvents(ctx: RouteContext, req: IncomingMessage, res: ServerResponse): void {
  if (req.method === 'GET' && ctx.streams.full) {
    problem(
      res,
      503,
      `too many open event streams (${MAX_EVENT_STREAMS}); close another inspector tab and retry`,
      {
        'Retry-After': '5',
      },
    );
    return;
  }
  res.writeHead(200, {
    'Content-Type': 'text/event-stream; charset=utf-8',
    Connection: 'keep-alive',
    ...SECURITY_HEADERS,
  });
  if (req.method === 'HEAD') {
    res.end();
    return;
  }
  ctx.streams.open(res);
}

function route(ctx: RouteContext, req: IncomingMessage, res: ServerResponse): void {
  const url = admit(req, res, ctx.port());
  if (!url) return;
  switch (url.pathname) {
    case '/':
      send(res, 200, 'text/html; charset=utf-8', ctx.page);
      return;
    case '/chart.svg':
      send(res, 200, 'image/svg+xml; charset=utf-8', ctx.chartSvg);
      return;
    case '/api/chart':
      json(res, 200, ctx.chart);
      return;
    case '/api/snapshot':
      json(res, 200, takeSnapshot(ctx.host, ctx.inspector));
      return;
    case '/api/log':
      serveLog(ctx, url, res);
      return;
    case '/api/events':
      serveEvents(ctx, req, res);
      return;
  }
}

/** The server's request listener over `ctx`. */
export function createRequestHandler(ctx: RouteContext): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    try {
      route(ctx, req, res);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      log.error('inspector request failed', { path: req.url, error: message });
      if (!res.headersSent) problem(res, 500, message);
      else res.destroy();
    }
  };
}
