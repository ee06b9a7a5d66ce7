/**
 * README: "SIGTERM/SIGINT: stop accepting, let calls in flight finish (at most 10 s, then the host's stop
 * grace), close the sessions, exit 0." A call that never ends (the `loop` fixture's `spin`, with a call
 * time limit of 10 minutes) is in flight when `serve --http` gets SIGTERM: the server waits 10 s for it,
 * says it drops it, stops it within the host's 2 s stop grace and exits 0 — it does not wait for the call.
 */
import { join } from 'node:path';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixture, tempDir } from '../mcp/helpers.ts';
import { type HttpChild, spawnHttp } from './helpers.ts';

let dir: string;
let cleanup: () => Promise<void>;
let loopPath: string;
let server: HttpChild | undefined;

beforeAll(async () => {
  [loopPath] = (await fixture('loop')) as [string];
  const tmp = await tempDir('wasmactor-http-grace-');
  dir = tmp.dir;
  cleanup = tmp.cleanup;
}, 60_000);

afterAll(async () => {
  if (server?.proc.exitCode === null) await server.stop('SIGKILL');
  await cleanup?.();
});

describe('serve --http shutdown with a call that never ends', () => {
  it('waits 10 s for it, then stops it and exits 0 (not after the 10-minute call limit)', async () => {
    server = await spawnHttp([
      '--http',
      '0',
      '--component-dir',
      join(dir, 'components'),
      '--call-timeout',
      '600000',
      '--log-level',
      'warn',
    ]);
    const client = new Client({ name: 'grace', version: '0' }, { versionNegotiation: { mode: 'auto' } });
    await client.connect(new StreamableHTTPClientTransport(new URL(server.url)));
    const loaded = await client.callTool({ name: 'load-component', arguments: { path: loopPath } });
    expect(loaded.isError).toBeFalsy();
    const spin = client.callTool({ name: 'spin', arguments: {} }).then(
      (result) => ({ answered: result }),
      (error: unknown) => ({ failed: String(error) }),
    );
    await new Promise((r) => setTimeout(r, 500));
    const started = Date.now();
    const code = await server.stop('SIGTERM');
    const took = Date.now() - started;
    expect(code).toBe(0);
    // It waited for the call in flight (10 s), then stopped it: never the call's own 10-minute limit.
    expect(took).toBeGreaterThanOrEqual(9_500);
    expect(took).toBeLessThan(10_000 + 2_000 + 8_000);
    expect(server.stderr()).toMatch(/requests still in flight after the grace period are dropped/);
    // The caller is not left waiting: its request ends with the connection or an error result.
    const outcome = await spin;
    if ('answered' in outcome) expect(outcome.answered.isError).toBe(true);
    await client.close().catch(() => {});
  }, 60_000);
});
