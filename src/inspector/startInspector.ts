/**
 * Starts the inspector's HTTP server: a read-only page on 127.0.0.1 with the state chart, the live table
 * and the event log, plus JSON and server-sent-event endpoints for scripts (routes in
 * `requestHandler.ts`, streams in `EventStreams.ts`).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ComponentHost } from '../machines/index.ts';
import { componentMachine, instanceMachine } from '../machines/index.ts';
import { describeChart } from './chartModel.ts';
import { renderChartSvg } from './chartSvg.ts';
import { EventStreams } from './EventStreams.ts';
import type { Inspector } from './Inspector.ts';
import { InspectorError } from './InspectorError.ts';
import { renderPage } from './page.ts';
import { createRequestHandler } from './requestHandler.ts';

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

export interface RunningInspector {
  /** `http://127.0.0.1:<port>/` */
  url: string;
  port: number;
  /** Ends the event streams and stops the server. */
  close(): Promise<void>;
}

/** Listens on 127.0.0.1:`port`; rejects with `InspectorError` when the port cannot be used. */
function listen(server: Server, port: number): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException) => {
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
}

/** Serves the inspector on 127.0.0.1. Rejects with `InspectorError` when the port cannot be used. */
export async function startInspector(options: StartInspectorOptions): Promise<RunningInspector> {
  const { host, inspector } = options;
  const port = options.port ?? 0;
  if (!Number.isInteger(port) || port < 0 || port > 65_535) {
    throw new InspectorError('invalid-port', `inspector port must be an integer 0..65535, got ${port}`);
  }
  const chart = describeChart(componentMachine);
  const chartSvg = renderChartSvg(chart);
  const streams = new EventStreams({
    host,
    inspector,
    pushIntervalMs: options.pushIntervalMs ?? 40,
    stalledStreamMs: options.stalledStreamMs ?? 30_000,
  });
  let actualPort = port;
  const page = renderPage(chartSvg, renderChartSvg(describeChart(instanceMachine)));
  const server = createServer(
    createRequestHandler({ host, inspector, chart, chartSvg, page, streams, port: () => actualPort }),
  );
  server.on('clientError', (_error, socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
    else socket.destroy();
  });
  try {
    await listen(server, port);
  } catch (error) {
    streams.close();
    throw error;
  }
  actualPort = (server.address() as AddressInfo).port;

  const unwatch = inspector.watch(host);
  let closed = false;
  return {
    url: `http://127.0.0.1:${actualPort}/`,
    port: actualPort,
    close: async () => {
      if (closed) return;
      closed = true;
      unwatch();
      streams.close();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}
