/**
 * `serve --worker-idle` end to end: the worker thread of a stateless component's calls ends once it has
 * been idle that long (seen in the server process's own thread count), and the next call still works on
 * a fresh instance. A bad value is refused with a message that names the flag.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { Client } from '@modelcontextprotocol/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, fixture, REPO_ROOT, resultText, serveTransport, tempDir } from './helpers.ts';

let client: Client;
let pid: number;
let cleanup: () => Promise<void>;
let counterPath: string;

/** Threads of the server process (Linux). */
function threads(): number {
  return Number(/^Threads:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]);
}

/** Waits (bounded) until the server has `expected` threads; returns the count it saw last. */
async function threadsSettleAt(expected: number, boundMs = 10_000): Promise<number> {
  const until = performance.now() + boundMs;
  while (threads() !== expected && performance.now() < until) await new Promise((r) => setTimeout(r, 20));
  return threads();
}

/** The thread count once it has stayed the same for 300 ms (a load's transpile worker ends first). */
async function stableThreads(): Promise<number> {
  let last = threads();
  let same = 0;
  while (same < 6) {
    await new Promise((r) => setTimeout(r, 50));
    const now = threads();
    same = now === last ? same + 1 : 0;
    last = now;
  }
  return last;
}

beforeAll(async () => {
  [counterPath] = (await fixture('counter')) as [string];
  const tmp = await tempDir();
  cleanup = tmp.cleanup;
  const transport = serveTransport(tmp.dir, ['--log-level', 'warn', '--worker-idle', '300ms']);
  client = new Client({ name: 'worker-idle', version: '0.0.0' });
  await client.connect(transport);
  pid = transport.pid as number;
}, 60_000);

afterAll(async () => {
  await client?.close();
  await cleanup?.();
});

const value = (r: Awaited<ReturnType<Client['callTool']>>) =>
  (r.structuredContent as { result?: unknown } | undefined)?.result;

describe('serve --worker-idle', () => {
  it('ends an idle stateless worker after --worker-idle, and the next call still works', async () => {
    const loaded = await client.callTool({
      name: 'load-component',
      arguments: { path: counterPath, stateful: false },
    });
    expect(loaded.isError, resultText(loaded)).toBeFalsy();
    const base = await stableThreads();
    expect(value(await client.callTool({ name: 'increment', arguments: {} }))).toBe(1);
    const busy = threads();
    expect(busy, 'a worker thread serves the call').toBeGreaterThan(base);
    expect(await threadsSettleAt(base), 'the idle worker ended').toBe(base);
    expect(value(await client.callTool({ name: 'increment', arguments: {} }))).toBe(1);
    expect(await threadsSettleAt(base), 'and the next one too').toBe(base);
  }, 60_000);

  it('refuses a --worker-idle that is not a positive duration, naming the flag', () => {
    const run = spawnSync(process.execPath, [BIN, 'serve', '--worker-idle', 'soon'], {
      cwd: REPO_ROOT,
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(run.status).toBe(2);
    expect(run.stderr).toMatch(/--worker-idle takes a positive duration/);
  }, 60_000);
});
