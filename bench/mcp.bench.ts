/**
 * tools/call round trips over real stdio: the server is spawned (`wasmactor serve --echo-tool`) and driven
 * by the SDK Client. 1,000 sequential calls each of: the trivial `echo` tool (the floor), a stateful
 * component call (counter `get`, one live instance) and a stateless one (counter `get`, fresh instance per
 * call); median and p99 of each, and the ratio to the floor. The bare in-process component call is
 * measured too (the other half of the floor, DESIGN.md "Performance").
 *
 *   npx tsx bench/mcp.bench.ts [calls]     (after `npm run build:fixtures`)
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/client';
import { StdioClientTransport } from '@modelcontextprotocol/client/stdio';
import { createRuntime } from '../src/runtime/index.ts';

const CALLS = Number(process.argv[2] ?? 1000);
const root = join(import.meta.dirname, '..');
const counterPath = join(root, 'fixtures', 'build', 'counter.wasm');

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

async function main(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'wasmactor-mcp-bench-'));
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [
      join(root, 'bin', 'wasmactor.js'),
      'serve',
      '--component-dir',
      dir,
      '--echo-tool',
      '--log-level',
      'warn',
    ],
    stderr: 'inherit',
  });
  const client = new Client({ name: 'wasmactor-bench', version: '0.0.0' });
  await client.connect(transport);
  const rows: Record<string, { median: number; p99: number; mean: number }> = {};
  try {
    const check = (r: { isError?: boolean; content?: unknown }) => {
      if (r.isError) throw new Error(JSON.stringify(r.content));
    };
    rows['echo tool (floor)'] = stats(
      await time(CALLS, async () =>
        check(await client.callTool({ name: 'echo', arguments: { value: 'x' } })),
      ),
    );
    check(
      await client.callTool({ name: 'load-component', arguments: { path: counterPath, stateful: true } }),
    );
    rows['stateful counter get'] = stats(
      await time(CALLS, async () => check(await client.callTool({ name: 'get', arguments: {} }))),
    );
    check(
      await client.callTool({ name: 'load-component', arguments: { path: counterPath, stateful: false } }),
    );
    rows['stateless counter get'] = stats(
      await time(CALLS, async () => check(await client.callTool({ name: 'get', arguments: {} }))),
    );
  } finally {
    await client.close();
    await rm(dir, { recursive: true, force: true });
  }

  const prepared = await createRuntime().prepare({ path: counterPath });
  const instance = await prepared.instantiate({});
  try {
    rows['bare in-process call (no MCP)'] = stats(await time(CALLS, () => instance.call('get', {})));
  } finally {
    await instance.dispose();
    await prepared.dispose();
  }

  const floor = rows['echo tool (floor)']?.median ?? 1;
  process.stdout.write(`tools/call round trips over stdio, ${CALLS} sequential calls each (ms)\n`);
  process.stdout.write(
    `${'what'.padEnd(32)}${'median'.padStart(9)}${'p99'.padStart(9)}${'mean'.padStart(9)}  x floor\n`,
  );
  for (const [name, s] of Object.entries(rows)) {
    process.stdout.write(
      `${name.padEnd(32)}${s.median.toFixed(3).padStart(9)}${s.p99.toFixed(3).padStart(9)}${s.mean.toFixed(3).padStart(9)}  ${(s.median / floor).toFixed(2)}\n`,
    );
  }
}

await main();
