/**
 * Shutdown of the real server (`wasmactor serve` over stdio) with a runaway call in flight: SIGTERM
 * and stdin close end the process within the host's stop grace (2 s) plus start-up slack, not after the
 * call time limit (60 s here).
 */
import type { ChildProcess } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { fixture, spawnServer, tempDir } from '../mcp/helpers.ts';

/** Resolves with the ms it took `pid` to exit, or `undefined` past `boundMs`. */
async function exitTime(pid: number, boundMs: number): Promise<number | undefined> {
  const started = performance.now();
  while (performance.now() - started < boundMs) {
    try {
      process.kill(pid, 0);
    } catch {
      return performance.now() - started;
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  return undefined;
}

async function serverWithRunaway(dir: string) {
  const [blocker] = await fixture('blocker');
  const server = await spawnServer(dir, ['--call-timeout', '60000']);
  await server.client.callTool({ name: 'load-component', arguments: { path: blocker, stateful: true } });
  // in flight until the server goes away
  const runaway = server.client.callTool({ name: 'block-forever', arguments: {} }).catch(() => 'ended');
  await new Promise((r) => setTimeout(r, 300));
  return { server, runaway };
}

describe('shutdown with a runaway call in flight', () => {
  for (const how of ['SIGTERM', 'stdin close'] as const) {
    it(`ends within a short grace on ${how}`, async () => {
      const { dir, cleanup } = await tempDir();
      try {
        const { server, runaway } = await serverWithRunaway(dir);
        if (how === 'SIGTERM') process.kill(server.pid, 'SIGTERM');
        // The client's `close()` kills the child; end only its stdin (the transport keeps the process private).
        else (server.transport as unknown as { _process?: ChildProcess })._process?.stdin?.end();
        const took = await exitTime(server.pid, 10_000);
        if (took === undefined) process.kill(server.pid, 'SIGKILL');
        expect(took, `${how}: the server did not exit within 10 s`).toBeDefined();
        expect(took).toBeLessThan(6_000);
        expect(took).toBeGreaterThan(0); // it did wait for the runaway call (the grace), then ended it
        await server.close().catch(() => undefined);
        await runaway;
      } finally {
        await cleanup();
      }
    }, 60_000);
  }
});
