import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type ComponentMetadata, ComponentStore, resolveComponentPath } from '../../src/mcp/index.ts';
import { BIN, fixture, tempDir } from './helpers.ts';

let dir: string;
let cleanup: () => Promise<void>;

beforeEach(async () => {
  ({ dir, cleanup } = await tempDir('wasmactor-store-'));
});
afterEach(() => cleanup());

/** A valid sha256 (64 hex digits) that stands for `tag`. */
const hash = (tag: string) => createHash('sha256').update(tag).digest('hex');

function meta(id: string, tag: string, stateful = false): ComponentMetadata {
  return {
    version: 1,
    id,
    source: `/x/${id}.wasm`,
    sha256: hash(tag),
    stateful,
    tools: [],
    loadedAt: new Date(0).toISOString(),
  };
}

describe('ComponentStore', () => {
  it('saves, lists, replaces and removes entries', async () => {
    const store = await ComponentStore.open(dir);
    await store.save(meta('a', 'one'), Uint8Array.of(1, 2, 3));
    await store.save(meta('b', 'two', true), Uint8Array.of(4));
    expect((await store.list()).components.map((c) => c.metadata.id)).toEqual(['a', 'b']);
    await store.save(meta('a', 'three'), Uint8Array.of(9, 9));
    const a = await store.get('a');
    expect(a.metadata.sha256).toBe(hash('three'));
    expect([...(await readFile(a.wasmPath))]).toEqual([9, 9]);
    expect(await readFile(a.policyPath, 'utf8')).toMatch(/permissions: \{\}/);
    expect(await store.remove('a')).toBe(true);
    expect(await store.remove('a')).toBe(false);
    expect((await store.list()).components.map((c) => c.metadata.id)).toEqual(['b']);
    expect((await readdir(dir)).filter((n) => n.startsWith('.'))).toEqual([]);
  });

  it('keeps the policy when only the component is replaced', async () => {
    const store = await ComponentStore.open(dir);
    await store.save(meta('a', 'one'), Uint8Array.of(1), 'custom: policy\n');
    await store.save(meta('a', 'two'), Uint8Array.of(2));
    expect(await store.policy('a')).toBe('custom: policy\n');
  });

  it('reports a truncated or missing metadata file and still lists the other entries', async () => {
    const store = await ComponentStore.open(dir);
    await store.save(meta('good', 'x'), Uint8Array.of(1));
    await store.save(meta('cut', 'y'), Uint8Array.of(1));
    const path = join(dir, 'cut', 'metadata.json');
    const text = await readFile(path, 'utf8');
    await writeFile(path, text.slice(0, 20));
    await mkdir(join(dir, 'empty'));
    const { components, problems } = await store.list();
    expect(components.map((c) => c.metadata.id)).toEqual(['good']);
    expect(problems.map((p) => p.id).sort()).toEqual(['cut', 'empty']);
    expect(problems.find((p) => p.id === 'cut')?.message).toMatch(/cut\/metadata\.json is not valid JSON/);
    expect(problems.find((p) => p.id === 'empty')?.message).toMatch(/empty\/metadata\.json is missing/);
  });

  it('recovers the old entry when a crash came between the two renames of a replacement', async () => {
    const store = await ComponentStore.open(dir);
    await store.save(meta('a', 'old'), Uint8Array.of(1));
    // the state after "rename old aside" and before "rename new into place"
    await rename(join(dir, 'a'), join(dir, '.old-a-0123456789ab'));
    await mkdir(join(dir, '.staging-a-0123456789ab'));
    await writeFile(join(dir, '.staging-a-0123456789ab', 'component.wasm'), 'half');
    const reopened = await ComponentStore.open(dir);
    expect((await reopened.get('a')).metadata.sha256).toBe(hash('old'));
    expect((await readdir(dir)).sort()).toEqual(['a']);
  });

  it('drops an old copy when the new entry made it into place', async () => {
    const store = await ComponentStore.open(dir);
    await store.save(meta('a', 'new'), Uint8Array.of(2));
    await mkdir(join(dir, '.old-a-0123456789ab'));
    const reopened = await ComponentStore.open(dir);
    expect((await reopened.get('a')).metadata.sha256).toBe(hash('new'));
    expect(await readdir(dir)).toEqual(['a']);
  });

  it('reports a component.wasm over the limit it was opened with, without reading it', async () => {
    const store = await ComponentStore.open(dir, { maxComponentBytes: 10 });
    await store.save(meta('small', 'x'), new Uint8Array(10));
    await store.save(meta('big', 'y'), new Uint8Array(11));
    const { components, problems } = await store.list();
    expect(components.map((c) => c.metadata.id)).toEqual(['small']);
    expect(problems).toEqual([
      {
        id: 'big',
        message: expect.stringMatching(/big\/component\.wasm is 11 bytes, more than the limit of 10/),
      },
    ]);
  });

  it('makes a nested directory, and refuses one it cannot make at once (not even under /proc)', async () => {
    const nested = join(dir, 'a', 'b', 'c');
    await ComponentStore.open(nested);
    expect(await readdir(nested)).toEqual([]);
    // Node's own recursive mkdir never settles for a path under /proc.
    const refused = (path: string) =>
      ComponentStore.open(path).then(
        () => undefined,
        (error: { code?: string; message: string }) => error,
      );
    expect(await refused('/proc/wasmactor-not-here/components')).toMatchObject({ code: 'store-failed' });
    const file = join(dir, 'a-file');
    await writeFile(file, 'x');
    expect(await refused(file)).toMatchObject({ code: 'store-failed' });
  }, 10_000);

  it('stages bytes ahead of a save: they become the entry, or leave nothing when discarded', async () => {
    const store = await ComponentStore.open(dir);
    const staged = store.stage('a', Uint8Array.of(7, 8, 9));
    await store.save(meta('a', 'one'), staged, 'custom: policy\n');
    expect(await readdir(dir)).toEqual(['a']);
    expect([...(await readFile(join(dir, 'a', 'component.wasm')))]).toEqual([7, 8, 9]);
    expect(await store.policy('a')).toBe('custom: policy\n');
    // discarding after the save finds nothing to remove: the entry stays
    await staged.discard();
    expect((await store.list()).components.map((c) => c.metadata.id)).toEqual(['a']);

    // a replacement staged and then dropped (its load failed): the old entry stays as it was
    const dropped = store.stage('a', Uint8Array.of(1));
    await dropped.written;
    expect((await readdir(dir)).filter((n) => n.startsWith('.staging-'))).toHaveLength(1);
    await dropped.discard();
    expect(await readdir(dir)).toEqual(['a']);
    expect([...(await readFile(join(dir, 'a', 'component.wasm')))]).toEqual([7, 8, 9]);
  });

  it('refuses bytes staged for another entry, and a staged write that failed; nothing is left', async () => {
    const store = await ComponentStore.open(dir);
    const forB = store.stage('b', Uint8Array.of(1));
    await expect(store.save(meta('a', 'one'), forB)).rejects.toThrow(
      'bytes staged for b cannot be saved as a',
    );
    expect(await readdir(dir)).toEqual([]);
    expect(() => store.stage('../x', Uint8Array.of(1))).toThrow('not a valid component id');
    // the directory is gone: the staged write fails, and so does the save, with the write's error
    const gone = join(dir, 'gone');
    const other = await ComponentStore.open(gone);
    await rm(gone, { recursive: true });
    const failed = other.stage('a', Uint8Array.of(1));
    await expect(other.save(meta('a', 'one'), failed)).rejects.toThrow('ENOENT');
    expect(await readdir(dir)).toEqual([]);
  });

  it('refuses ids that are not folder names', async () => {
    const store = await ComponentStore.open(dir);
    await expect(store.save(meta('../evil', 'x'), Uint8Array.of(1))).rejects.toThrow(
      /not a valid component id/,
    );
  });
});

describe('resolveComponentPath', () => {
  it('takes paths and file:// URIs; the id is the file stem', () => {
    expect(resolveComponentPath('/a/b/time-server.wasm')).toEqual({
      path: '/a/b/time-server.wasm',
      id: 'time-server',
    });
    expect(resolveComponentPath('file:///a/b/x.wasm')).toEqual({ path: '/a/b/x.wasm', id: 'x' });
    expect(resolveComponentPath('rel/y.wasm', '/base')).toEqual({ path: '/base/rel/y.wasm', id: 'y' });
  });

  it('refuses https:// and oci:// (a local file is needed here), saying where they load', () => {
    expect(() => resolveComponentPath('https://example.com/a.wasm')).toThrow(
      /path takes a local file, not https:\/\/: load https:\/\/ and oci:\/\/ components with load-component/,
    );
    expect(() => resolveComponentPath('oci://ghcr.io/x/y:1')).toThrow(
      /path takes a local file, not oci:\/\//,
    );
  });
});

describe('wasmactor component', () => {
  const run = (args: string[]) => promisify(execFile)(process.execPath, [BIN, 'component', ...args]);

  it('loads, lists and unloads entries of the component directory without a server', async () => {
    const [counter] = (await fixture('counter')) as [string];
    const loaded = await run(['load', counter, '--stateful', '--component-dir', dir]);
    expect(loaded.stdout).toMatch(/stored counter \(stateful\)/);
    const listed = JSON.parse((await run(['list', '--json', '--component-dir', dir])).stdout);
    expect(listed).toMatchObject([
      { id: 'counter', stateful: true, tools: expect.arrayContaining(['increment']) },
    ]);
    await run(['unload', 'counter', '--component-dir', dir]);
    expect((await run(['list', '--component-dir', dir])).stdout).toMatch(/no components/);
    await expect(run(['unload', 'counter', '--component-dir', dir])).rejects.toThrow(
      /no component "counter"/,
    );
  });
});
