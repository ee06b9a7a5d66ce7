/**
 * Components survive a restart: load, SIGKILL the server, start it again on the same component directory.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixture, resultJson, type SpawnedServer, spawnServer, tempDir } from './helpers.ts';

let dir: string;
let cleanup: () => Promise<void>;
let counterPath: string;
let probePath: string;
let trapPath: string;
const servers: SpawnedServer[] = [];

beforeAll(async () => {
  [counterPath, probePath, trapPath] = (await fixture('counter', 'wasi-probe', 'trap')) as [
    string,
    string,
    string,
  ];
  ({ dir, cleanup } = await tempDir());
}, 180_000);

afterAll(async () => {
  for (const s of servers) await s.close().catch(() => undefined);
  await cleanup?.();
});

function killed(server: SpawnedServer): Promise<void> {
  return new Promise((done) => {
    server.transport.onclose = () => done();
    process.kill(server.pid, 'SIGKILL');
  });
}

describe('the component directory', () => {
  it('restores every component after SIGKILL (stateful ones fresh) and skips a truncated entry', async () => {
    const first = await spawnServer(dir);
    servers.push(first);
    const call = (name: string, args: Record<string, unknown> = {}) =>
      first.client.callTool({ name, arguments: args });
    expect((await call('load-component', { path: counterPath, stateful: true })).isError).toBeFalsy();
    expect((await call('load-component', { path: probePath })).isError).toBeFalsy();
    expect((await call('load-component', { path: trapPath })).isError).toBeFalsy();
    await call('add', { n: 41 });
    expect((await call('increment')).structuredContent).toEqual({ result: 42 });
    await killed(first);

    const metadata = JSON.parse(await readFile(join(dir, 'counter', 'metadata.json'), 'utf8'));
    expect(metadata).toMatchObject({ version: 1, id: 'counter', stateful: true });
    expect(metadata.tools.map((t: { name: string }) => t.name)).toContain('increment');
    const trapMeta = join(dir, 'trap', 'metadata.json');
    const text = await readFile(trapMeta, 'utf8');
    await writeFile(trapMeta, text.slice(0, Math.floor(text.length / 2)));

    const second = await spawnServer(dir);
    servers.push(second);
    const call2 = (name: string, args: Record<string, unknown> = {}) =>
      second.client.callTool({ name, arguments: args });
    const names = (await second.client.listTools()).tools.map((t) => t.name);
    expect(names).toEqual(expect.arrayContaining(['increment', 'add', 'print', 'read-file']));
    // the stateful counter is back, with a fresh instance
    expect((await call2('get')).structuredContent).toEqual({ result: 0 });
    expect((await call2('increment')).structuredContent).toEqual({ result: 1 });
    expect((await call2('get-env', { key: 'HOME' })).structuredContent).toEqual({ result: null });
    const listed = resultJson(await call2('list-components')) as {
      components: { id: string; stateful: boolean }[];
    };
    expect(listed.components.map((c) => [c.id, c.stateful]).sort()).toEqual([
      ['counter', true],
      ['wasi-probe', false],
    ]);
    expect(second.stderr()).toMatch(/skipping a broken entry.*"id":"trap"/);
  }, 120_000);
});
