/**
 * The inspector's HTTP server: a read-only page on 127.0.0.1 with the state chart, the live table and the
 * event log, plus JSON and server-sent-event endpoints for scripts. Every route is GET (or HEAD); an
 * unknown path is 404, another method 405, a Host header that is not ours 403 (keeps DNS-rebinding pages
 * out), and nothing a request does can throw out of the handler.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ComponentHost } from '../machines/index.ts';
import { componentMachine } from '../machines/index.ts';
import { describeChart } from './chartModel.ts';
import { renderChartSvg } from './chartSvg.ts';
import type { Inspector } from './Inspector.ts';
import { InspectorError } from './InspectorError.ts';
import { renderPage } from './page.ts';
import { takeSnapshot } from './snapshot.ts';

export interface StartInspectorOptions {
  host: ComponentHost;
  /** The collector that was given to the host as its `inspect` option. */
  inspector: Inspector;
  /** 0 (default) picks a free port. */
  port?: number;
  /** Server-sent events are coalesced to at most one push per this many ms; default 40. */
  pushIntervalMs?: number;
  /**
   * An event stream whose client has stopped reading (its output stays buffered) gets no pushes, and is
   * closed once it has been stuck this many ms; default 30 000.
   */
  stalledStreamMs?: number;
}

/** At most this many `/api/events` streams are open at once; one more is answered 503. */
export const MAX_EVENT_STREAMS = 16;
/** A stream with more output than this waiting for its client is skipped until it drains. */
const MAX_BUFFERED_BYTES = 1024 * 1024;

/** One open `/api/events` response. */
interface EventStream {
  res: ServerResponse;
  /** The newest log seq this client has been sent; each push sends it only what came after. */
  sentSeq: number;
  /** When a push first had to skip it (its client is not reading); cleared when it drains. */
  stuckSince?: number;
  /** A push skipped it: it is due one as soon as it drains. */
  missed: boolean;
}

export interface RunningInspector {
  /** `http://127.0.0.1:<port>/` */
  url: string;
  port: number;
  /** Ends the event streams and stops the server. */
  close(): Promise<void>;
}

const ROUTES = new Set(['/', '/api/snapshot', '/api/chart', '/api/log', '/api/events', '/chart.svg']);
const SECURITY_HEADERS = {
  'Cache-Control': 'no-store',
  'X-Content-Type-Options': 'nosniff',
  'Content-Security-Policy':
    "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'; img-src data:",
};

/** Serves the inspector on 127.0.0.1. Rejects with `InspectorError` when the port cannot be used. */
export async function startInspector(options: StartInspectorOptions): Promise<RunningInspector> {
  const { host, inspector } = options;
  const port = options.port ?? 0;
  if (!Number.isInteger(port) || port < 0 || port > 65_535) {
    throw new InspectorError('invalid-port', `inspector port must be an integer 0..65535, got ${port}`);
  }
  const pushInterval = options.pushIntervalMs ?? 40;
  const chart = describeChart(componentMachine);
  const chartSvg = renderChartSvg(chart);
  const page = renderPage(chartSvg);
  const stalledMs = options.stalledStreamMs ?? 30_000;
  const streams = new Set<EventStream>();
  let pushTimer: NodeJS.Timeout | undefined;

  const schedulePush = () => {
    if (streams.size > 0 && pushTimer === undefined) pushTimer = setTimeout(push, pushInterval);
  };
  /**
   * True when `stream` can take a write now. A client that does not read makes its output pile up in
   * the server (the socket keeps whatever the kernel will not take); such a stream is skipped, and
   * destroyed once it has been stuck for `stalledMs`, so memory stays bounded whatever clients do.
   */
  const writable = (stream: EventStream, now: number): boolean => {
    const { res } = stream;
    if (res.writableLength <= MAX_BUFFERED_BYTES && !res.writableNeedDrain) {
      stream.stuckSince = undefined;
      return true;
    }
    stream.missed = true;
    stream.stuckSince ??= now;
    if (now - stream.stuckSince >= stalledMs) {
      streams.delete(stream);
      res.destroy();
    }
    return false;
  };
  const push = () => {
    pushTimer = undefined;
    if (streams.size === 0) return;
    const now = Date.now();
    const snapshot = takeSnapshot(host, inspector);
    const seq = inspector.seq;
    const bySince = new Map<number, string>(); // clients that have seen the same log share one message
    for (const stream of [...streams]) {
      if (!writable(stream, now)) continue;
      let message = bySince.get(stream.sentSeq);
      if (message === undefined) {
        const data = JSON.stringify({ snapshot, log: inspector.log({ since: stream.sentSeq }) });
        message = `event: update\ndata: ${data}\n\n`;
        bySince.set(stream.sentSeq, message);
      }
      stream.sentSeq = seq;
      stream.missed = false;
      stream.res.write(message);
    }
  };
  const unsubscribe = inspector.onChange(schedulePush);
  const heartbeat = setInterval(() => {
    const now = Date.now();
    for (const stream of [...streams]) if (writable(stream, now)) stream.res.write(': ping\n\n');
  }, 15_000);
  heartbeat.unref();

  const send = (res: ServerResponse, status: number, type: string, body: string, extra = {}) => {
    res.writeHead(status, {
      'Content-Type': type,
      'Content-Length': Buffer.byteLength(body),
      ...SECURITY_HEADERS,
      ...extra,
    });
    res.end(res.req.method === 'HEAD' ? undefined : body);
  };
  const json = (res: ServerResponse, status: number, value: unknown, extra = {}) =>
    send(res, status, 'application/json; charset=utf-8', `${JSON.stringify(value, null, 1)}\n`, extra);
  const problem = (res: ServerResponse, status: number, message: string, extra = {}) =>
    json(res, status, { error: message }, extra);

  let actualPort = port;
  const handle = (req: IncomingMessage, res: ServerResponse) => {
    const hostHeader = req.headers.host ?? '';
    if (hostHeader !== `127.0.0.1:${actualPort}` && hostHeader !== `localhost:${actualPort}`) {
      problem(res, 403, `unexpected Host header "${hostHeader}"; open http://127.0.0.1:${actualPort}/`);
      return;
    }
    let url: URL;
    try {
      url = new URL(req.url ?? '/', `http://127.0.0.1:${actualPort}`);
    } catch {
      problem(res, 400, 'bad request target');
      return;
    }
    if (!ROUTES.has(url.pathname)) {
      problem(res, 404, `no such page: ${url.pathname}`);
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      problem(res, 405, `${req.method} is not allowed; the inspector is read-only`, { Allow: 'GET, HEAD' });
      return;
    }
    switch (url.pathname) {
      case '/':
        send(res, 200, 'text/html; charset=utf-8', page);
        return;
      case '/chart.svg':
        send(res, 200, 'image/svg+xml; charset=utf-8', chartSvg);
        return;
      case '/api/chart':
        json(res, 200, chart);
        return;
      case '/api/snapshot':
        json(res, 200, takeSnapshot(host, inspector));
        return;
      case '/api/log': {
        const sinceText = url.searchParams.get('since') ?? '0';
        const since = Number(sinceText);
        if (!/^\d+$/.test(sinceText) || !Number.isSafeInteger(since)) {
          problem(res, 400, `since must be a non-negative integer, got "${sinceText}"`);
          return;
        }
        const component = url.searchParams.get('component') ?? undefined;
        json(res, 200, inspector.log({ since, ...(component !== undefined ? { component } : {}) }));
        return;
      }
      case '/api/events': {
        if (req.method === 'GET' && streams.size >= MAX_EVENT_STREAMS) {
          problem(
            res,
            503,
            `too many open event streams (${MAX_EVENT_STREAMS}); close another inspector tab and retry`,
            { 'Retry-After': '5' },
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
        const stream: EventStream = { res, sentSeq: inspector.seq, missed: false };
        const init = JSON.stringify({ snapshot: takeSnapshot(host, inspector), log: inspector.log() });
        res.write(`retry: 1000\nevent: init\ndata: ${init}\n\n`);
        streams.add(stream);
        res.on('drain', () => {
          stream.stuckSince = undefined;
          if (stream.missed) schedulePush();
        });
        res.on('close', () => streams.delete(stream));
        return;
      }
    }
  };

  const server = createServer((req, res) => {
    try {
      handle(req, res);
    } catch (error) {
      if (!res.headersSent) problem(res, 500, error instanceof Error ? error.message : String(error));
      else res.destroy();
    }
  });
  server.on('clientError', (_error, socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
    else socket.destroy();
  });

  await new Promise<void>((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException) => {
      unsubscribe();
      clearInterval(heartbeat);
      reject(
        new InspectorError(
          error.code === 'EADDRINUSE' ? 'port-in-use' : 'listen-failed',
          error.code === 'EADDRINUSE'
            ? `inspector port ${port} is in use; pick another (0 = any free port)`
            : `inspector cannot listen on 127.0.0.1:${port}: ${error.message}`,
          { cause: error },
        ),
      );
    };
    server.once('error', onError);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', onError);
      resolve();
    });
  });
  actualPort = (server.address() as AddressInfo).port;

  let closed = false;
  return {
    url: `http://127.0.0.1:${actualPort}/`,
    port: actualPort,
    close: async () => {
      if (closed) return;
      closed = true;
      unsubscribe();
      clearInterval(heartbeat);
      if (pushTimer) clearTimeout(pushTimer);
      for (const stream of streams) stream.res.end();
      streams.clear();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}
