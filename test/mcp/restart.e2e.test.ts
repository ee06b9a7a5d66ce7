/**
 * Components survive a restart: load, SIGKILL the server, start it again on the same component directory.
 * A directory full of broken entries still starts: the good ones come back, each broken one is reported.
 */
import { execFile, execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CORRUPTIONS, releaseFifos, within } from '../adversarial/storeCorruptions.ts';
import { BIN, fixture, killServer, resultJson, type SpawnedServer, spawnServer, tempDir } from './helpers.ts';

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
    await killServer(first);

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

  it('starts on a directory where every kind of broken entry sits beside good ones: good ones restored, each broken one reported', async () => {
    const { dir: broken, cleanup: cleanupBroken } = await tempDir('wasmactor-broken-');
    try {
      const cli = (args: string[]) =>
        promisify(execFile)(process.execPath, [BIN, 'component', ...args, '--component-dir', broken]);
      await cli(['load', counterPath, '--stateful']);
      await cli(['load', probePath]);
      const isRoot = process.getuid?.() === 0;
      /** id -> what its problem must say; undefined when the entry must be restored. */
      const expected = new Map<string, RegExp | undefined>();
      for (const [index, corruption] of CORRUPTIONS.entries()) {
        const id = `bad-${index}`;
        await cp(join(broken, 'wasi-probe'), join(broken, id), { recursive: true });
        const metaPath = join(broken, id, 'metadata.json');
        await writeFile(metaPath, JSON.stringify({ ...JSON.parse(await readFile(metaPath, 'utf8')), id }));
        await corruption.apply(join(broken, id));
        expected.set(id, corruption.rootReads && isRoot ? undefined : corruption.problem);
      }
      // a policy.yaml that must not block either: the component runs deny-all, the problem is logged
      for (const [id, make] of [
        ['policy-fifo', (p: string) => execFileSync('mkfifo', [p])],
        ['policy-zero', (p: string) => symlink('/dev/zero', p)],
      ] as const) {
        await cp(join(broken, 'wasi-probe'), join(broken, id), { recursive: true });
        const metaPath = join(broken, id, 'metadata.json');
        await writeFile(metaPath, JSON.stringify({ ...JSON.parse(await readFile(metaPath, 'utf8')), id }));
        await rm(join(broken, id, 'policy.yaml'), { force: true });
        await make(join(broken, id, 'policy.yaml'));
      }
      // bytes that are not a component, with a sha256 that matches them: only loading can tell
      await cp(join(broken, 'wasi-probe'), join(broken, 'not-wasm'), { recursive: true });
      const garbage = new TextEncoder().encode('not a component at all');
      await writeFile(join(broken, 'not-wasm', 'component.wasm'), garbage);
      const notWasmMeta = join(broken, 'not-wasm', 'metadata.json');
      await writeFile(
        notWasmMeta,
        JSON.stringify({
          ...JSON.parse(await readFile(notWasmMeta, 'utf8')),
          id: 'not-wasm',
          sha256: createHash('sha256').update(garbage).digest('hex'),
        }),
      );
      await writeFile(join(broken, 'notes.txt'), 'junk beside the entries');
      execFileSync('mkfifo', [join(broken, 'pipe')]);
      await symlink('/dev/zero', join(broken, 'zero'));
      expected.set('notes.txt', /is a regular file, not a component folder/);
      expected.set('pipe', /is a FIFO \(named pipe\), not a component folder/);
      expected.set('zero', /is a symbolic link, not a component folder/);

      const started = Date.now();
      const server = await within(60_000, 'start-up on the broken directory', spawnServer(broken));
      servers.push(server);
      const startMs = Date.now() - started;
      const call = (name: string, args: Record<string, unknown> = {}) =>
        server.client.callTool({ name, arguments: args });
      const lines = () =>
        server
          .stderr()
          .split('\n')
          .filter((line) => line.startsWith('{'))
          .map((line) => JSON.parse(line) as { msg: string; id?: string; problem?: string; error?: string });
      const failedLoad = () =>
        lines().find((l) => l.msg === 'restoring a component failed' && l.id === 'not-wasm');

      expect((await server.client.listTools()).tools.map((t) => t.name)).toEqual(
        expect.arrayContaining(['increment', 'get', 'read-file']),
      );
      expect((await call('increment')).structuredContent).toEqual({ result: 1 });
      expect((await call('get-env', { key: 'HOME' })).structuredContent).toEqual({ result: null });
      // the entry whose bytes are no component is listed until its load fails, then it is gone
      for (let i = 0; i < 200 && !failedLoad(); i++) await new Promise((r) => setTimeout(r, 50));
      expect(failedLoad()?.error).toMatch(/not WebAssembly|invalid component|magic/i);
      const restoredIds = [...expected].filter(([, problem]) => problem === undefined).map(([id]) => id);
      const listed = resultJson(await call('list-components')) as { components: { id: string }[] };
      expect(listed.components.map((c) => c.id).sort()).toEqual(
        ['counter', 'policy-fifo', 'policy-zero', 'wasi-probe', ...restoredIds].sort(),
      );

      // every broken entry reported once on stderr, naming it and its problem
      const skippedLines = () =>
        lines().filter((l) => l.msg === 'skipping a broken entry of the component directory');
      const reported = [...expected].filter(([, problem]) => problem !== undefined);
      for (let i = 0; i < 100 && skippedLines().length < reported.length; i++) {
        await new Promise((r) => setTimeout(r, 50));
      }
      const skipped = skippedLines();
      expect(skipped.map((l) => l.id).sort()).toEqual(reported.map(([id]) => id).sort());
      for (const [id, problem] of reported) {
        expect(skipped.find((l) => l.id === id)?.problem, id).toMatch(problem as RegExp);
      }
      for (const id of ['policy-fifo', 'policy-zero']) {
        expect(
          lines().find(
            (l) =>
              l.msg === 'the policy or secrets of a restored component cannot be used; it runs deny-all' &&
              l.id === id,
          )?.error,
          id,
        ).toMatch(/policy\.yaml is (a FIFO|a symbolic link)/);
      }
      const names = (await readdir(broken)).filter((n) => !n.startsWith('.'));
      console.log(`start-up on ${names.length} names (${reported.length} reported broken): ${startMs} ms`);
    } finally {
      const names = await readdir(broken).catch(() => [] as string[]);
      await releaseFifos(
        names.flatMap((n) =>
          ['', 'metadata.json', 'component.wasm', 'policy.yaml'].map((f) => join(broken, n, f)),
        ),
      );
      await cleanupBroken();
    }
  }, 180_000);
});
