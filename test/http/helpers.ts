/** Helpers of the HTTP tests: servers in process and as a child process, and raw requests on loopback. */
import { type ChildProcess, spawn } from 'node:child_process';
import { request as httpRequest } from 'node:http';
import { join } from 'node:path';
import { Client, type ClientOptions, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { afterAll, beforeAll } from 'vitest';
import { ComponentHost } from '../../src/machines/index.ts';
import { type HttpHandle, type HttpServeOptions, startHttpServer } from '../../src/mcp/http/index.ts';
import { WasmactorServer } from '../../src/mcp/index.ts';
import { createRuntime } from '../../src/runtime/index.ts';
import { BIN, REPO_ROOT, tempDir } from '../mcp/helpers.ts';

/** The JSON-RPC `initialize` of a 2025-era client. */
export const INITIALIZE = {
  jsonrpc: '2.0',
  id: 1,
  method: 'initialize',
  params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '0' } },
};

export const MCP_HEADERS = {
  'content-type': 'application/json',
  accept: 'application/json, text/event-stream',
};

/** A WasmactorServer (no component directory) served over HTTP in this process on a free port. */
export async function startInProcess(
  options: Partial<Omit<HttpServeOptions, 'server'>> = {},
): Promise<{ server: WasmactorServer; http: HttpHandle; url: string; base: string; close(): Promise<void> }> {
  const server = new WasmactorServer({
    host: new ComponentHost({ runtime: createRuntime() }),
    echoTool: true,
  });
  const http = await startHttpServer({
    server,
    address: { host: '127.0.0.1', port: 0 },
    replicaId: 'rtest',
    maxSessions: 64,
    maxStreams: 256,
    sessionIdleMs: 60_000,
    maxBodyBytes: 4 * 1024 * 1024,
    ...options,
  });
  return {
    server,
    http,
    url: http.url,
    base: http.url.replace(/\/mcp$/, ''),
    async close() {
      await http.close();
      await server.close();
    },
  };
}

/** A raw response: status, headers, body text. */
export interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** One request with node:http (which, unlike fetch, lets a test set `Host`). Reads the whole body. */
export function raw(
  url: string,
  init: { method?: string; headers?: Record<string, string>; body?: string | Buffer } = {},
): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method: init.method ?? 'GET', headers: init.headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          body: Buffer.concat(chunks).toString('utf8'),
        }),
      );
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(init.body);
  });
}

/** POSTs a 2025-era `initialize`; resolves to the response and its session id. */
export async function initializeSession(url: string, headers: Record<string, string> = {}) {
  const res = await fetch(url, {
    method: 'POST',
    headers: { ...MCP_HEADERS, ...headers },
    body: JSON.stringify(INITIALIZE),
  });
  const body = await res.text();
  return { status: res.status, sessionId: res.headers.get('mcp-session-id'), body, headers: res.headers };
}

/** `wasmactor serve --http 0 ...` as a child process. */
export interface HttpChild {
  proc: ChildProcess;
  url: string;
  base: string;
  stderr(): string;
  /** Sends `signal` (default SIGTERM) and resolves to the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/** Spawns the server and waits for its `wasmactor listening on URL` line. */
export function spawnHttp(args: string[]): Promise<HttpChild> {
  const proc = spawn(process.execPath, [BIN, 'serve', ...args], {
    cwd: REPO_ROOT,
    env: { ...process.env, XDG_CACHE_HOME: join(REPO_ROOT, '.cache') },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no listening line within 30 s:\n${stderr}`)), 30_000);
    proc.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString('utf8');
      const match = /wasmactor listening on (http:\/\/\S+\/mcp)/.exec(stderr);
      if (match) {
        clearTimeout(timer);
        const url = match[1] as string;
        resolve({
          proc,
          url,
          base: url.replace(/\/mcp$/, ''),
          stderr: () => stderr,
          stop: (signal = 'SIGTERM') => {
            if (proc.exitCode === null) proc.kill(signal);
            return exited;
          },
        });
      }
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`the server exited (${code}) before listening:\n${stderr}`));
    });
  });
}

/** The one `serve --http` child of a test file, and SDK clients connected to it. */
export interface FileHttpServer {
  /** The child's `/mcp` URL (after `beforeAll`). */
  readonly url: string;
  /** The URL without `/mcp`. */
  readonly base: string;
  /** An SDK client over HTTP in `mode` (closed in `afterAll`); `options` add to the version negotiation. */
  connect(
    mode: 'auto' | 'legacy',
    options?: Omit<ClientOptions, 'versionNegotiation'>,
  ): Promise<{ client: Client; transport: StreamableHTTPClientTransport }>;
}

/**
 * One `wasmactor serve --http 0 --replica-id <replicaId>` child for the tests of a file: spawned in
 * `beforeAll` on an empty temporary component directory, stopped in `afterAll` after every client that
 * `connect` opened is closed.
 */
export function serveHttpPerFile(replicaId: string): FileHttpServer {
  let child: HttpChild | undefined;
  let cleanup: (() => Promise<void>) | undefined;
  const clients: Client[] = [];
  const started = (): HttpChild => {
    if (!child) throw new Error('the HTTP server is not started (use it inside a test)');
    return child;
  };
  beforeAll(async () => {
    const tmp = await tempDir(`wasmactor-http-${replicaId}-`);
    cleanup = tmp.cleanup;
    child = await spawnHttp([
      '--http',
      '0',
      '--component-dir',
      tmp.dir,
      '--replica-id',
      replicaId,
      '--log-level',
      'warn',
    ]);
  }, 60_000);
  afterAll(async () => {
    await Promise.allSettled(clients.map((c) => c.close()));
    await child?.stop();
    await cleanup?.();
  });
  return {
    get url() {
      return started().url;
    },
    get base() {
      return started().base;
    },
    async connect(mode, options = {}) {
      const transport = new StreamableHTTPClientTransport(new URL(started().url));
      const client = new Client(
        { name: `wasmactor-http-${mode}`, version: '0.0.0' },
        { ...options, versionNegotiation: { mode } },
      );
      await client.connect(transport);
      clients.push(client);
      return { client, transport };
    },
  };
}

/** Runs `wasmactor serve ...` to its end (for refusals); resolves to the exit code and stderr. */
export function runServe(args: string[]): Promise<{ code: number | null; stderr: string }> {
  const proc = spawn(process.execPath, [BIN, 'serve', ...args], {
    cwd: REPO_ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  proc.stderr.on('data', (c: Buffer) => {
    stderr += c.toString('utf8');
  });
  return new Promise((resolve) => proc.once('exit', (code) => resolve({ code, stderr })));
}
