/**
 * One HTTP(S) request with the limits every remote source needs: a size limit on the body, a time limit,
 * bounded redirects, progress in bytes, cancellation, and errors a user can act on (`McpError` with a
 * `source-*` code: unknown host, refused, TLS failure with the `NODE_EXTRA_CA_CERTS` hint, 404, 401/403,
 * too large, timeout). Plain `http://` only for loopback hosts. Built on `node:http`/`node:https` with one
 * connection per request (`agent: false`): stopping a transfer destroys its request and response, which
 * closes the socket in every phase (Node's `fetch` left a pooled connection open when its abort raced the
 * response headers). No `Accept-Encoding` is sent, so bodies arrive as stored (no decompression needed).
 *
 * Redirects are followed here, so that every hop is checked: the
 * scheme rule applies to each target, and an `Authorization` header never follows a redirect to another
 * origin (registries redirect blob downloads to storage hosts that must not see the registry token).
 */
import http from 'node:http';
import https from 'node:https';
import { log } from '../../runtime/index.ts';
import { McpError } from '../McpError.ts';
import { checkPort, networkError } from './networkError.ts';

/** Bytes received so far, and the total when the server said it (`Content-Length`). */
export type ByteProgress = (received: number, total: number | undefined) => void;

/** Options of `fetchBounded`. */
export interface BoundedFetchOptions {
  method?: 'GET' | 'HEAD' | 'PUT' | 'POST' | 'PATCH';
  headers?: Record<string, string>;
  body?: Uint8Array | string;
  /** Largest body read; more is `source-too-large` (and the transfer is stopped). */
  maxBytes: number;
  /** Whole request, redirects and body included; more is `source-timeout`. */
  timeoutMs: number;
  /** Aborted: the transfer stops and `load-cancelled` is thrown. */
  signal?: AbortSignal | undefined;
  onProgress?: ByteProgress | undefined;
  /** Redirects followed (default 5); more is an error naming the loop. */
  maxRedirects?: number;
  /** Statuses returned to the caller instead of thrown (e.g. 401 for an auth challenge, 404 for a probe). */
  passStatuses?: readonly number[];
  /** How the user raises the size limit, for the `source-too-large` message (e.g. `--max-component-size`). */
  sizeLimitHint?: string;
}

/** A response whose body has been read (within `maxBytes`). */
export interface BoundedResponse {
  status: number;
  headers: Headers;
  /** The final URL, after redirects. */
  url: URL;
  body: Uint8Array;
}

const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);
const DEFAULT_MAX_REDIRECTS = 5;

/** True for `localhost`, `127.0.0.0/8` and `[::1]`: the hosts where plain `http://` is allowed. */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.toLowerCase();
  return host === 'localhost' || host === '[::1]' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

/** Refuses a URL that is neither `https:` nor `http:` on a loopback host. */
function checkScheme(url: URL, via: URL | undefined): void {
  checkPort(url);
  if (url.protocol === 'https:') return;
  const where = via ? `${via.href} redirects to ${url.href}, which` : `${url.href}`;
  const code = via ? 'source-invalid' : 'bad-path';
  if (url.protocol === 'http:') {
    if (isLoopbackHost(url.hostname)) return;
    throw new McpError(
      code,
      `${where} uses plain http:// on a host that is not loopback; only https:// is allowed there (plain http:// is accepted for 127.0.0.1, localhost and [::1] only)`,
    );
  }
  throw new McpError(code, `${where} is not an https:// URL`);
}

/** The headers without `Authorization` (it never follows a redirect to another origin). */
function withoutAuthorization(headers: Record<string, string>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(headers).filter(([name]) => name.toLowerCase() !== 'authorization'),
  );
}

function statusError(url: URL, response: http.IncomingMessage): McpError {
  const status = response.statusCode ?? 0;
  const answered = `${url.href} answered ${status}${response.statusMessage ? ` ${response.statusMessage}` : ''}`;
  if (status === 404) return new McpError('source-not-found', `${answered}: nothing is there`);
  if (status === 401 || status === 403) {
    return new McpError('source-denied', `${answered}: access was refused`);
  }
  return new McpError('source-unreachable', `${answered}; try again later or check the URL`);
}

function tooLarge(url: URL, options: BoundedFetchOptions, announced?: number): McpError {
  const size = announced === undefined ? 'more than' : `${announced} bytes, more than`;
  const hint = options.sizeLimitHint ? `; raise the limit with ${options.sizeLimitHint}` : '';
  return new McpError(
    'source-too-large',
    `${url.href} is ${size} the limit of ${options.maxBytes} bytes; the download was stopped${hint}`,
  );
}

/** Where a download is, for the log line of a cancel: waiting for the answer, or bytes of its body read. */
interface Transfer {
  url: URL;
  phase: 'request' | 'body';
  received: number;
  /** While a request is open: destroys it and its response, closing the connection. */
  destroy?: (() => void) | undefined;
}

/** The response's headers as WHATWG `Headers` (what callers read with `headers.get`). */
function toHeaders(response: http.IncomingMessage): Headers {
  const headers = new Headers();
  for (const [name, value] of Object.entries(response.headers)) {
    if (value === undefined) continue;
    for (const one of Array.isArray(value) ? value : [value]) {
      try {
        headers.append(name, one);
      } catch {
        // A header value WHATWG refuses is dropped; no caller reads such a header.
      }
    }
  }
  return headers;
}

/** Sends one request on its own connection and resolves with the response once its headers arrived. */
function send(
  url: URL,
  method: string,
  headers: Record<string, string>,
  body: Uint8Array | string | undefined,
  at: Transfer,
): Promise<http.IncomingMessage> {
  return new Promise((resolve, reject) => {
    const request = (url.protocol === 'https:' ? https : http).request(url, {
      method,
      headers,
      agent: false,
    });
    let response: http.IncomingMessage | undefined;
    at.destroy = () => {
      request.destroy();
      response?.destroy();
    };
    // Kept for the request's lifetime: a late error (after the response) must not be unhandled.
    request.on('error', reject);
    request.once('response', (answer) => {
      response = answer;
      resolve(answer);
    });
    request.end(body);
  });
}

/** Reads the body within `maxBytes`, reporting progress; stops the transfer on overflow. */
async function readBody(
  response: http.IncomingMessage,
  url: URL,
  options: BoundedFetchOptions,
  signal: AbortSignal,
  at: Transfer,
): Promise<Uint8Array> {
  const header = response.headers['content-length'];
  const total = header !== undefined && /^\d+$/.test(header) ? Number(header) : undefined;
  if (total !== undefined && total > options.maxBytes) {
    at.destroy?.();
    throw tooLarge(url, options, total);
  }
  at.phase = 'body';
  const chunks: Uint8Array[] = [];
  let received = 0;
  try {
    for await (const chunk of response as AsyncIterable<Buffer>) {
      if (signal.aborted) throw signal.reason;
      received += chunk.byteLength;
      at.received = received;
      if (received > options.maxBytes) {
        at.destroy?.();
        throw tooLarge(url, options);
      }
      chunks.push(chunk);
      options.onProgress?.(received, total);
    }
  } catch (error) {
    if (signal.aborted && !(error instanceof McpError)) throw signal.reason;
    throw error;
  }
  // A response destroyed by `stop` may end like a complete one: it is not one.
  if (signal.aborted) throw signal.reason;
  return Buffer.concat(chunks);
}

async function follow(start: URL, options: BoundedFetchOptions, signal: AbortSignal, at: Transfer) {
  const maxRedirects = options.maxRedirects ?? DEFAULT_MAX_REDIRECTS;
  let method = options.method ?? 'GET';
  let body = options.body;
  let headers = { ...options.headers };
  let via: URL | undefined;
  const visited = [start.href];
  for (;;) {
    checkScheme(at.url, via);
    if (signal.aborted) throw signal.reason;
    at.phase = 'request';
    const response = await send(at.url, method, headers, body, at);
    const status = response.statusCode ?? 0;
    const location = response.headers.location;
    if (REDIRECT_STATUSES.has(status) && location !== undefined) {
      at.destroy?.();
      const next = new URL(location, at.url);
      if (visited.length > maxRedirects) {
        const loop = visited.includes(next.href) ? ' (a redirect loop)' : '';
        throw new McpError(
          'source-invalid',
          `${start.href} redirects more than ${maxRedirects} times${loop}: ${[...visited, next.href].join(' -> ')}`,
        );
      }
      if (next.origin !== at.url.origin) headers = withoutAuthorization(headers);
      if (status === 303 || (method === 'POST' && status !== 307 && status !== 308)) {
        method = 'GET';
        body = undefined;
      }
      visited.push(next.href);
      via = at.url;
      at.url = next;
      continue;
    }
    const ok = status >= 200 && status <= 299;
    if (!ok && !options.passStatuses?.includes(status)) {
      at.destroy?.();
      throw statusError(at.url, response);
    }
    const bytes = await readBody(response, at.url, options, signal, at);
    return { status, headers: toHeaders(response), url: at.url, body: bytes };
  }
}

/** Sends one request within the limits of `options`; see the file comment for the errors. */
export async function fetchBounded(url: URL, options: BoundedFetchOptions): Promise<BoundedResponse> {
  const cancelled = () => new McpError('load-cancelled', `the download of ${url.href} was cancelled`);
  if (options.signal?.aborted) throw cancelled();
  const controller = new AbortController();
  const at: Transfer = { url, phase: 'request', received: 0 };
  /** Ends the transfer: marks it aborted and destroys the open request and response (closing the socket). */
  const stop = () => {
    controller.abort();
    at.destroy?.();
  };
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    stop();
  }, options.timeoutMs);
  const onAbort = () => {
    // Says how far the download got when its caller gave up (origin and path only: a query may be a
    // signature). A cancelled load whose connection stays open would show here whether the cancel came.
    log.info('download cancelled by its caller; stopping it', {
      url: `${at.url.origin}${at.url.pathname}`,
      phase: at.phase,
      received: at.received,
    });
    stop();
  };
  options.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    return await follow(url, options, controller.signal, at);
  } catch (error) {
    if (error instanceof McpError) throw error;
    if (options.signal?.aborted) throw cancelled();
    if (timedOut) {
      throw new McpError(
        'source-timeout',
        `${at.url.href} did not answer in full within ${options.timeoutMs / 1000} s; the download was stopped (check the network, or try again)`,
      );
    }
    throw networkError(at.url, error);
  } finally {
    clearTimeout(timer);
    options.signal?.removeEventListener('abort', onAbort);
    // Whatever is still open (a body nobody will read) stops now.
    controller.abort();
    at.destroy?.();
  }
}
