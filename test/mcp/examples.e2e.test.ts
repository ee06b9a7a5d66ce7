/**
 * `npm start` (= `wasmactor serve` with npm_lifecycle_event=start, or `serve --examples`) builds the
 * examples and serves them: `notes` stateful, `files` stateless with a deny-all sandbox.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type SpawnedServer, spawnServer, tempDir } from './helpers.ts';

let server: SpawnedServer;
let cleanup: () => Promise<void>;

beforeAll(async () => {
  const tmp = await tempDir();
  cleanup = tmp.cleanup;
  server = await spawnServer(tmp.dir, ['--examples']);
}, 180_000);

afterAll(async () => {
  await server?.close();
  await cleanup?.();
});

describe('serve --examples', () => {
  it('serves the notes example stateful and the files example in a deny-all sandbox', async () => {
    // The first tools/list already holds them (a one-shot client asks once), and the build and the loads
    // were reported on stderr, a line per phase with its time.
    const listed = (await server.client.listTools()).tools.map((t) => t.name);
    expect(listed).toEqual(expect.arrayContaining(['add', 'all', 'search', 'get-env', 'read-text', 'shout']));
    expect(server.stderr()).toMatch(/"msg":"examples: built","elapsedMs":\d+/);
    expect(server.stderr()).toMatch(/"msg":"examples: ready","tools":\d+,"elapsedMs":\d+/);
    const call = (name: string, args: Record<string, unknown> = {}) =>
      server.client.callTool({ name, arguments: args });
    expect((await call('add', { text: 'buy milk' })).structuredContent).toEqual({ result: 1 });
    expect((await call('add', { text: 'call Bob' })).structuredContent).toEqual({ result: 2 });
    expect((await call('all')).structuredContent).toEqual({ result: ['buy milk', 'call Bob'] });
    const missing = await call('remove', { index: 7 });
    expect(missing.isError).toBe(true);
    expect(missing.structuredContent).toEqual({ result: { err: 'there is no note 7; there are 2 notes' } });
    expect((await call('get-env', { key: 'HOME' })).structuredContent).toEqual({ result: null });
    expect((await call('roots')).structuredContent).toEqual({ result: [] });
    const denied = await call('read-text', { path: '/etc/passwd' });
    expect(denied.isError).toBe(true);
    expect(JSON.stringify(denied.structuredContent)).toMatch(/grant-storage-permission/);
    const shout = await call('shout', { text: 'hi' });
    expect(shout.structuredContent).toEqual({ result: 3 });
    expect(shout._meta?.['wasmactor/output']).toMatchObject({ stdout: 'HI!\n' });
  }, 200_000);
});
