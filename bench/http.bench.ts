/**
 * tools/call round trips over Streamable HTTP on loopback, against a floor: a plain SDK v2 server (one
 * `echo` tool, `createMcpHandler` + `toNodeHandler`, nothing of wasmactor) in its own process. Then
 * `wasmactor serve --http 0 --echo-tool` in its own process: its `echo` tool, and a stateful component
 * call (counter `get`), in the modern era (2026-07-28, stateless) and in the 2025 era (one session).
 * Sequential calls from the SDK v2 client; median, p99, mean and the ratio of medians to the floor.
 * No assertion: figures only.
 *
 *   node bench/launch.mjs bench/http.bench.ts [calls]     (after `npm run build:fixtures`)
 */
// Isolation first: the user's cache, component directory and secrets are never touched.
import './harness.ts';
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';

const CALLS = Number(process.argv[2] ?? 500);
const root = join(import.meta.dirname, '..');
const counterPath = join(root, 'fixtures', 'build', 'counter.wasm');

/** The floor: the SDK's own HTTP serving of one echo tool, printing its URL on stderr like wasmactor. */
const FLOOR_SERVER = `
import { createServer } from 'node:http';
import { createMcpHandler, fromJsonSchema, McpServer } from '@modelcontextprotocol/server';
import { toNodeHandler } from '@modelcontextprotocol/node';
const object = (properties) => ({ type: 'object', properties, required: Object.keys(properties) });
const factory = () => {
  const mcp = new McpServer({ name: 'floor', version: '0' });
  mcp.registerTool('echo', {
    inputSchema: fromJsonSchema(object({ value: { type: 'string' } })),
    outputSchema: fromJsonSchema(object({ result: { type: 'string' } })),
  }, async ({ value }) => ({
    content: [{ type: 'text', text: JSON.stringify(value) }],
    structuredContent: { result: value },
  }));
  return mcp;
};
const node = toNodeHandler(createMcpHandler(factory));
const http = createServer((req, res) => void node(req, res));
http.listen(0, '127.0.0.1', () => process.stderr.write('wasmactor listening on http://127.0.0.1:' + http.address().port + '/mcp\\n'));
`;

function stats(samples: number[]): { median: number; p99: number; mean: number } {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] as number;
  return { median: at(0.5), p99: at(0.99), mean: samples.reduce((a, b) => a + b, 0) / samples.length };
}

async function time(calls: number, run: () => Promise<unknown>): Promise<number[]> {
  for (let i = 0; i < Math.min(50, calls); i++) await run(); // warm-up
  const samples: number[] = [];
  for (let i = 0; i < calls; i++) {
    const started = performance.now();
    await run();
    samples.push(performance.now() - started);
  }
  return samples;
}

/** Spawns `args` and resolves with the process and the URL of its `listening on` line. */
function listening(args: string[]): Promise<{ proc: ChildProcess; url: URL }> {
  const proc = spawn(process.execPath, args, { cwd: root, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  return new Promise((resolve, reject) => {
    proc.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString('utf8');
      const match = /listening on (http:\/\/\S+)/.exec(stderr);
      if (match) resolve({ proc, url: new URL(match[1] as string) });
    });
    proc.once('exit', (code) => reject(new Error(`exited ${code}: ${stderr}`)));
  });
}

async function connect(url: URL, mode: 'auto' | 'legacy'): Promise<Client> {
  const client = new Client({ name: 'http-bench', version: '0' }, { versionNegotiation: { mode } });
  await client.connect(new StreamableHTTPClientTransport(url));
  return client;
}

function check(r: { isError?: boolean; content?: unknown }): void {
  if (r.isError) throw new Error(JSON.stringify(r.content));
}

async function main(): Promise<void> {
  const rows: Record<string, { median: number; p99: number; mean: number }> = {};
  const floor = await listening(['--input-type=module', '-e', FLOOR_SERVER]);
  try {
    const client = await connect(floor.url, 'auto');
    rows['SDK echo, modern (floor)'] = stats(
      await time(CALLS, async () =>
        check(await client.callTool({ name: 'echo', arguments: { value: 'x' } })),
      ),
    );
    await client.close();
  } finally {
    floor.proc.kill();
  }

  const dir = await mkdtemp(join(tmpdir(), 'wasmactor-http-bench-'));
  const server = await listening([
    join(root, 'bin', 'wasmactor.js'),
    'serve',
    '--http',
    '0',
    '--component-dir',
    dir,
    '--echo-tool',
    '--log-level',
    'warn',
  ]);
  try {
    const modern = await connect(server.url, 'auto');
    const legacy = await connect(server.url, 'legacy');
    rows['wasmactor echo, modern'] = stats(
      await time(CALLS, async () =>
        check(await modern.callTool({ name: 'echo', arguments: { value: 'x' } })),
      ),
    );
    rows['wasmactor echo, 2025 session'] = stats(
      await time(CALLS, async () =>
        check(await legacy.callTool({ name: 'echo', arguments: { value: 'x' } })),
      ),
    );
    check(
      await modern.callTool({ name: 'load-component', arguments: { path: counterPath, stateful: true } }),
    );
    rows['stateful counter get, modern'] = stats(
      await time(CALLS, async () => check(await modern.callTool({ name: 'get', arguments: {} }))),
    );
    rows['stateful counter get, 2025'] = stats(
      await time(CALLS, async () => check(await legacy.callTool({ name: 'get', arguments: {} }))),
    );
    await modern.close();
    await legacy.close();
  } finally {
    server.proc.kill('SIGTERM');
    await rm(dir, { recursive: true, force: true });
  }

  const base = rows['SDK echo, modern (floor)']?.median ?? 1;
  process.stdout.write(`tools/call round trips over HTTP on loopback, ${CALLS} sequential calls each (ms)\n`);
  process.stdout.write(
    `${'what'.padEnd(32)}${'median'.padStart(9)}${'p99'.padStart(9)}${'mean'.padStart(9)}  x floor\n`,
  );
  for (const [name, s] of Object.entries(rows)) {
    process.stdout.write(
      `${name.padEnd(32)}${s.median.toFixed(3).padStart(9)}${s.p99.toFixed(3).padStart(9)}${s.mean.toFixed(3).padStart(9)}  ${(s.median / base).toFixed(2)}\n`,
    );
  }
}

await main();
