/**
 * One HTTP(S) request with the limits every remote source needs: a size limit on the body, a time limit,
 * bounded redirects, progress in bytes, cancellation, and errors a user can act on (`McpError` with a
 * `source-*` code: unknown host, refused, TLS failure with the `NODE_EXTRA_CA_CERTS` hint, 404, 401/403,
 * too large, timeout). Plain `http://` only for loopback hosts. Built on Node's `fetch` (undici).
 *
 * CONTRACT STUB (lead): the signature is fixed; the OCI helper implements it.
 */
import { McpError } from '../McpError.ts';

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
}

/** A response whose body has been read (within `maxBytes`). */
export interface BoundedResponse {
  status: number;
  headers: Headers;
  /** The final URL, after redirects. */
  url: URL;
  body: Uint8Array;
}

/** Sends one request within the limits of `options`; see the file comment for the errors. */
export async function fetchBounded(url: URL, options: BoundedFetchOptions): Promise<BoundedResponse> {
  void url;
  void options;
  throw new McpError('source-unreachable', 'fetchBounded is not implemented yet');
}
