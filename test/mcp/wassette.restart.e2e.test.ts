/**
 * A tool renamed because of a collision (`<id>__<name>`) keeps its name across restarts (issue 10): the
 * name advertised from stored metadata before the component is ready is the one that works once it is,
 * and no `_2` name ever appears.
 */
import { copyFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixture, resultText, type SpawnedServer, spawnServer, tempDir } from './helpers.ts';

const cleanups: (() => Promise<void>)[] = [];
const servers: SpawnedServer[] = [];
let componentDir: string;
let wasmDir: string;

beforeAll(async () => {
  const [counter] = (await fixture('counter')) as [string];
  const dir = await tempDir('wasmactor-names-dir-');
  const wasm = await tempDir('wasmactor-names-wasm-');
  cleanups.push(dir.cleanup, wasm.cleanup);
  componentDir = dir.dir;
  wasmDir = wasm.dir;
  await copyFile(counter, join(wasmDir, 'alpha.wasm'));
  await copyFile(counter, join(wasmDir, 'beta.wasm'));
}, 120_000);

afterAll(async () => {
  for (const s of servers) await s.close().catch(() => undefined);
  for (const cleanup of cleanups) await cleanup();
});

const names = async (server: SpawnedServer) =>
  (await server.client.listTools()).tools.map((t) => t.name).filter((n) => /get$|increment$/.test(n));

describe('renamed tool names', () => {
  it('are the same after a restart, before and after the restore is ready, and work from the first listing', async () => {
    const first = await spawnServer(componentDir);
    servers.push(first);
    for (const id of ['alpha', 'beta']) {
      const loaded = await first.client.callTool({
        name: 'load-component',
        arguments: { path: join(wasmDir, `${id}.wasm`), stateful: true },
      });
      expect(loaded.isError, resultText(loaded)).toBeFalsy();
    }
    const before = (await names(first)).sort();
    expect(before).toEqual(['beta__get', 'beta__increment', 'get', 'increment'].sort());
    await first.close();

    for (let restart = 0; restart < 2; restart++) {
      const next = await spawnServer(componentDir);
      servers.push(next);
      // advertised from stored metadata (the restore may still be running) ...
      expect((await names(next)).sort()).toEqual(before);
      // ... and callable under those names: the call waits for the component if it is not ready
      const incremented = await next.client.callTool({ name: 'beta__increment', arguments: {} });
      expect(incremented.isError, resultText(incremented)).toBeFalsy();
      expect(incremented.structuredContent).toEqual({ result: 1 });
      expect((await next.client.callTool({ name: 'increment', arguments: {} })).structuredContent).toEqual({
        result: 1,
      });
      // once everything is ready the names are still the same: no `_2`
      expect((await names(next)).sort()).toEqual(before);
      expect((await next.client.listTools()).tools.some((t) => /_2$/.test(t.name))).toBe(false);
      await next.close();
    }
  });
});
