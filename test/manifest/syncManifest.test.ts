/**
 * Syncing a component directory with a manifest: what is loaded, updated, kept (without reading the
 * source: a counting fetcher stands for the network), removed or left, on a real `ComponentStore`.
 */
import { copyFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ComponentStore } from '../../src/mcp/ComponentStore.ts';
import {
  parseManifest,
  type SourceFetcher,
  sourceFetcher,
  syncManifest,
} from '../../src/mcp/manifest/index.ts';
import { sha256 } from '../../src/runtime/index.ts';
import { fixture } from '../mcp/helpers.ts';

const MAX = 256 * 1024 * 1024;
let counterPath: string;
let probePath: string;
let counterBytes: Uint8Array;
let probeBytes: Uint8Array;

let dir: string;
let store: ComponentStore;
/** Every source the fetcher was asked for, in order. */
let fetched: string[];
/** What the fake network answers, by URL or reference. */
let remote: Map<string, Uint8Array>;

/** Files through the real fetcher; https/oci from `remote`, each request recorded. */
const fetcher: SourceFetcher = async (entry, options) => {
  fetched.push(entry.sourceText);
  if (entry.source.kind === 'file') return sourceFetcher()(entry, options);
  const bytes = remote.get(entry.sourceText);
  if (!bytes) throw new Error(`no such remote ${entry.sourceText}`);
  return { bytes, pinned: `${entry.sourceText}#sha256=${sha256(bytes)}` };
};

beforeAll(async () => {
  [counterPath, probePath] = (await fixture('counter', 'wasi-probe')) as [string, string];
  counterBytes = new Uint8Array(await readFile(counterPath));
  probeBytes = new Uint8Array(await readFile(probePath));
}, 180_000);

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'wasmactor-sync-'));
  store = await ComponentStore.open(join(dir, 'components'));
  fetched = [];
  remote = new Map();
});
afterEach(() => rm(dir, { recursive: true, force: true }));

async function sync(yaml: string, removeOthers = false) {
  const manifest = await parseManifest(yaml, join(dir, 'manifest.yaml'));
  return syncManifest(manifest, store, { removeOthers, maxComponentSize: MAX, fetch: fetcher });
}

const empty = { loaded: [], updated: [], kept: [], removed: [], ignored: [], failed: [] };

describe('syncManifest', () => {
  it('loads new entries, then keeps them on the next sync without a request to a remote source', async () => {
    remote.set('https://registry.example/c.wasm', counterBytes);
    const yaml = `components:\n  - id: web\n    source: https://registry.example/c.wasm\n    stateful: true\n`;
    expect(await sync(yaml)).toEqual({ ...empty, loaded: ['web'] });
    expect(fetched).toEqual(['https://registry.example/c.wasm']);
    const stored = await store.get('web');
    expect(stored.metadata).toMatchObject({
      id: 'web',
      source: 'https://registry.example/c.wasm',
      sha256: sha256(counterBytes),
      stateful: true,
    });
    expect(stored.metadata.tools.map((t) => t.name)).toContain('increment');
    remote.clear(); // offline: the source is gone
    expect(await sync(yaml)).toEqual({ ...empty, kept: ['web'] });
    expect(fetched).toHaveLength(1);
  });

  it('keeps a local component whose file is gone, and stores it again when the file changes', async () => {
    const source = join(dir, 'tool.wasm');
    await copyFile(counterPath, source);
    const yaml = 'components:\n  - id: tool\n    source: tool.wasm\n';
    expect(await sync(yaml)).toEqual({ ...empty, loaded: ['tool'] });
    await rm(source);
    expect(await sync(yaml)).toEqual({ ...empty, kept: ['tool'] });
    expect((await store.get('tool')).metadata.sha256).toBe(sha256(counterBytes));
    await copyFile(probePath, source); // rebuilt: other bytes at the same path
    expect(await sync(yaml)).toEqual({ ...empty, loaded: ['tool'] });
    expect((await store.get('tool')).metadata.sha256).toBe(sha256(probeBytes));
  });

  it('rewrites the stateful flag and the policy around the same bytes, without a request', async () => {
    remote.set('https://registry.example/p.wasm', probeBytes);
    const base = 'components:\n  - id: probe\n    source: https://registry.example/p.wasm\n';
    await sync(base);
    expect(await sync(`${base}    stateful: true\n`)).toEqual({
      ...empty,
      updated: [{ id: 'probe', changed: ['stateful'] }],
    });
    expect((await store.get('probe')).metadata.stateful).toBe(true);
    const withEnv = `${base}    stateful: true\n    permissions: {environment: {allow: [{key: API_KEY}]}}\n`;
    expect(await sync(withEnv)).toEqual({ ...empty, updated: [{ id: 'probe', changed: ['policy'] }] });
    expect(await store.policy('probe')).toContain('API_KEY');
    expect(await sync(withEnv)).toEqual({ ...empty, kept: ['probe'] });
    // Back to no permissions: the manifest owns the policy, so the grant is taken away.
    expect(await sync(`${base}    stateful: true\n`)).toEqual({
      ...empty,
      updated: [{ id: 'probe', changed: ['policy'] }],
    });
    expect(await store.policy('probe')).not.toContain('API_KEY');
    expect(fetched).toEqual(['https://registry.example/p.wasm']);
  });

  it('fetches again when the source reference or the pinned digest changes', async () => {
    remote.set('https://registry.example/a.wasm', counterBytes);
    remote.set('https://registry.example/b.wasm', probeBytes);
    await sync('components:\n  - id: x\n    source: https://registry.example/a.wasm\n');
    expect(await sync('components:\n  - id: x\n    source: https://registry.example/b.wasm\n')).toEqual({
      ...empty,
      loaded: ['x'],
    });
    expect((await store.get('x')).metadata.sha256).toBe(sha256(probeBytes));
    // Same reference, a pin that the stored bytes do not have: the source is read again.
    remote.set('https://registry.example/b.wasm', counterBytes);
    const pinned = `components:\n  - id: x\n    source: https://registry.example/b.wasm#sha256=${sha256(counterBytes)}\n`;
    expect(await sync(pinned)).toEqual({ ...empty, loaded: ['x'] });
    expect(fetched).toHaveLength(3);
  });

  it('refuses bytes that do not have the pinned digest and leaves the stored entry as it was', async () => {
    remote.set('https://registry.example/a.wasm', counterBytes);
    await sync('components:\n  - id: x\n    source: https://registry.example/a.wasm\n');
    const wrong = 'ef'.repeat(32);
    const report = await sync(
      `components:\n  - id: x\n    source: https://registry.example/a.wasm\n    sha256: ${wrong}\n`,
    );
    expect(report.failed).toEqual([
      {
        id: 'x',
        message: `component x (components[0], ${join(dir, 'manifest.yaml')}:2): https://registry.example/a.wasm has sha256 ${sha256(counterBytes)}, but the manifest pins ${wrong}: nothing was stored (update the pin if the new component is the one you want)`,
      },
    ]);
    expect((await store.get('x')).metadata.sha256).toBe(sha256(counterBytes));
  });

  it('stores again an entry whose stored bytes were damaged', async () => {
    remote.set('https://registry.example/a.wasm', counterBytes);
    const yaml = 'components:\n  - id: x\n    source: https://registry.example/a.wasm\n';
    await sync(yaml);
    await writeFile(join(dir, 'components', 'x', 'component.wasm'), 'not a component');
    expect(await sync(yaml)).toEqual({ ...empty, loaded: ['x'] });
    expect(fetched).toHaveLength(2);
  });

  it('reports a source that is not a component and goes on with the others', async () => {
    await writeFile(join(dir, 'junk.wasm'), 'junk');
    const report = await sync(
      `components:\n  - id: junk\n    source: junk.wasm\n  - id: ok\n    source: ${counterPath}\n`,
    );
    expect(report.loaded).toEqual(['ok']);
    expect(report.failed.map((f) => f.id)).toEqual(['junk']);
    expect(report.failed[0]?.message).toMatch(
      new RegExp(`^component junk \\(components\\[0\\], ${join(dir, 'manifest.yaml')}:2\\): `),
    );
    await expect(store.get('junk')).rejects.toMatchObject({ code: 'broken-entry' });
  });

  it('leaves components the manifest does not name on disk, or deletes them with removeOthers', async () => {
    await sync(`components:\n  - id: a\n    source: ${counterPath}\n  - id: b\n    source: ${probePath}\n`);
    const onlyA = `components:\n  - id: a\n    source: ${counterPath}\n`;
    expect(await sync(onlyA)).toEqual({ ...empty, kept: ['a'], ignored: ['b'] });
    expect((await store.get('b')).metadata.id).toBe('b');
    expect(await sync(onlyA, true)).toEqual({ ...empty, kept: ['a'], removed: ['b'] });
    expect((await store.list()).components.map((c) => c.metadata.id)).toEqual(['a']);
  });
});
