/**
 * Helpers of the MCP tests: the real server spawned over stdio (`node bin/wasmactor.js serve`) and driven
 * by the SDK `Client`, with every message the client receives recorded in wire order.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { Client, InMemoryTransport } from '@modelcontextprotocol/client';
import { StdioClientTransport } from '@modelcontextprotocol/client/stdio';
import { buildFixtures, FIXTURES_BUILD_DIR, type FixtureName } from '../../fixtures/build.ts';
import type { WasmactorServer } from '../../src/mcp/index.ts';

export const REPO_ROOT = resolve(import.meta.dirname, '../..');
export const BIN = join(REPO_ROOT, 'bin', 'wasmactor.js');

/** Path of a built fixture; builds the missing ones first. */
export async function fixture(...names: FixtureName[]): Promise<string[]> {
  const missing = names.filter((n) => !existsSync(join(FIXTURES_BUILD_DIR, `${n}.wasm`)));
  if (missing.length > 0) await buildFixtures({ only: missing });
  return names.map((n) => join(FIXTURES_BUILD_DIR, `${n}.wasm`));
}

/** A fresh temporary folder, deleted by the returned `cleanup`. */
export async function tempDir(
  prefix = 'wasmactor-mcp-',
): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

/** What a command printed and how it exited. */
export interface CommandRun {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs `node bin/wasmactor.js ...args` to its end from the repo (XDG_CACHE_HOME its `.cache`; `env` adds
 * to the environment); resolves to its exit code and output, also when it fails (never rejects).
 */
export async function runWasmactor(
  args: string[],
  options: { env?: Record<string, string>; timeoutMs?: number } = {},
): Promise<CommandRun> {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [BIN, ...args], {
      cwd: REPO_ROOT,
      env: { ...process.env, XDG_CACHE_HOME: join(REPO_ROOT, '.cache'), ...options.env },
      ...(options.timeoutMs ? { timeout: options.timeoutMs } : {}),
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as CommandRun;
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

/** An SDK client named `name`, connected in this process to a new MCP server of `server` (linked memory transports). */
export async function connectInProcess(server: WasmactorServer, name = 'in-process'): Promise<Client> {
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  await server.createMcpServer().connect(serverSide);
  const client = new Client({ name, version: '0.0.0' });
  await client.connect(clientSide);
  return client;
}

/** The built-in tools every server lists (DESIGN.md, wassette-compatible). */
export const BUILTIN_TOOLS = [
  'load-component',
  'unload-component',
  'list-components',
  'get-policy',
  'grant-storage-permission',
  'grant-network-permission',
  'grant-environment-variable-permission',
  'revoke-storage-permission',
  'revoke-network-permission',
  'revoke-environment-variable-permission',
  'reset-permission',
  'open-instance',
  'close-instance',
  'check-component',
  'search-components',
];
/** A JSON-RPC message as seen on the wire. */
export type WireMessage = { id?: number | string; method?: string; result?: unknown; error?: unknown };

export interface SpawnedServer {
  client: Client;
  transport: StdioClientTransport;
  /** Every message the client received, in order. */
  received: WireMessage[];
  /** Everything the server wrote to stderr so far. */
  stderr: () => string;
  pid: number;
  close: () => Promise<void>;
}

/**
 * The stdio transport of `node bin/wasmactor.js serve --component-dir <dir> ...args` (run from the repo,
 * with its `.cache` as XDG_CACHE_HOME); the server starts when a Client connects it.
 */
export function serveTransport(
  componentDir: string,
  args: string[],
  options: { env?: Record<string, string>; stderr?: 'pipe' | 'ignore' } = {},
): StdioClientTransport {
  return new StdioClientTransport({
    command: process.execPath,
    args: [BIN, 'serve', '--component-dir', componentDir, ...args],
    cwd: REPO_ROOT,
    env: {
      ...(process.env as Record<string, string>),
      XDG_CACHE_HOME: join(REPO_ROOT, '.cache'),
      ...options.env,
    },
    stderr: options.stderr ?? 'ignore',
  });
}

/** Spawns `wasmactor serve --component-dir <dir>` and connects a Client to it; `env` adds to its environment. */
export async function spawnServer(
  componentDir: string,
  extraArgs: string[] = [],
  env: Record<string, string> = {},
): Promise<SpawnedServer> {
  const transport = serveTransport(componentDir, ['--log-level', 'info', ...extraArgs], {
    env,
    stderr: 'pipe',
  });
  let stderrText = '';
  transport.stderr?.on('data', (chunk: Buffer) => {
    stderrText += chunk.toString('utf8');
  });
  const client = new Client({ name: 'wasmactor-test', version: '0.0.0' });
  const received: WireMessage[] = [];
  await client.connect(transport);
  // Wrapped after connect (connect installs the client's handler): records true wire order.
  const onmessage = transport.onmessage;
  transport.onmessage = (message) => {
    received.push(message as WireMessage);
    onmessage?.call(transport, message);
  };
  const pid = transport.pid;
  if (pid === null) throw new Error('server did not start');
  return {
    client,
    transport,
    received,
    stderr: () => stderrText,
    pid,
    close: () => client.close(),
  };
}

/**
 * The stdio servers a test file spawns, so that its `afterAll` (or `afterEach`) closes every one of them
 * with `closeAll`, also those of a test that failed half-way.
 */
export function spawnedServers(): {
  spawn(...args: Parameters<typeof spawnServer>): Promise<SpawnedServer>;
  closeAll(): Promise<void>;
} {
  const servers: SpawnedServer[] = [];
  return {
    async spawn(...args) {
      const server = await spawnServer(...args);
      servers.push(server);
      return server;
    },
    async closeAll() {
      for (const server of servers.splice(0)) await server.close().catch(() => undefined);
    },
  };
}

/** Kills the server with SIGKILL (no shutdown of its own); resolves when its stdio has closed. */
export function killServer(server: SpawnedServer): Promise<void> {
  return new Promise((done) => {
    server.transport.onclose = () => done();
    process.kill(server.pid, 'SIGKILL');
  });
}

/** Calls the built-in `load-component` with `args`. */
export function loadComponent(server: SpawnedServer, args: Record<string, unknown>) {
  return server.client.callTool({ name: 'load-component', arguments: args });
}

/** The ids `list-components` reports, sorted. */
export async function listedIds(server: SpawnedServer): Promise<string[]> {
  const list = resultJson(await server.client.callTool({ name: 'list-components', arguments: {} })) as {
    components: { id: string }[];
  };
  return list.components.map((c) => c.id).sort();
}

/** Parses the JSON text of the first content item of a tool result. */
export function resultJson(result: { content?: unknown }): unknown {
  const content = result.content as { type: string; text?: string }[];
  return JSON.parse(content[0]?.text ?? 'null');
}

/** The first text content item of a tool result. */
export function resultText(result: { content?: unknown }): string {
  const content = result.content as { type: string; text?: string }[];
  return content[0]?.text ?? '';
}
