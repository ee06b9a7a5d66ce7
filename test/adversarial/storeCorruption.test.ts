/**
 * One bad entry never stops the start-up (issue 16, item 11): the component directory is read the way
 * `restore()` reads it (`open`, `list`, then `readComponent` for each entry) with every kind of
 * corruption of `storeCorruptions.ts` beside good entries. It always completes within a bound, the good
 * entries come back with their bytes, and each broken one is reported once, naming the entry, the file
 * and the problem.
 */
import { execFile, execFileSync } from 'node:child_process';
import { chmod, chown, mkdir, readdir, rm, symlink, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ComponentStore, type StoreProblem } from '../../src/mcp/index.ts';
import { sha256, type ToolDefinition } from '../../src/runtime/index.ts';
import { REPO_ROOT, tempDir } from '../mcp/helpers.ts';
import { CORRUPTIONS, type Corruption, releaseFifos, within } from './storeCorruptions.ts';

/** Start-up of a directory of a few entries, even on a loaded 2-core machine, takes far less. */
const BOUND_MS = 5_000;
const IS_ROOT = process.getuid?.() === 0;
const RUNS = 40;

let dir: string;
let cleanup: () => Promise<void>;
beforeEach(async () => {
  ({ dir, cleanup } = await tempDir('wasmactor-store-adv-'));
});
afterEach(async () => {
  // A mutant that opened a FIFO blocks a thread of the pool; give it end-of-file before deleting.
  const names = await readdir(dir).catch(() => [] as string[]);
  await releaseFifos(
    names.flatMap((n) => ['', 'metadata.json', 'component.wasm', 'policy.yaml'].map((f) => join(dir, n, f))),
  );
  await cleanup();
});

const TOOL: ToolDefinition = {
  name: 'get',
  description: 'get the count',
  inputSchema: { type: 'object', properties: { key: { type: 'string' } }, required: ['key'] },
  outputSchema: { type: 'object', properties: { result: { type: 'number' } } },
  function: { name: 'get', params: [{ name: 'key', type: { kind: 'string' } }], result: { kind: 'u32' } },
};

/** A valid entry whose bytes are distinct per id. */
async function saveGood(store: ComponentStore, id: string): Promise<Uint8Array> {
  const bytes = new TextEncoder().encode(`component bytes of ${id}`);
  await store.save(
    {
      version: 1,
      id,
      source: `/x/${id}.wasm`,
      sha256: sha256(bytes),
      stateful: false,
      tools: [TOOL, { ...TOOL, name: 'put' }],
      loadedAt: new Date(Date.UTC(2026, 0, 1, 0, 0, id.length)).toISOString(),
    },
    bytes,
  );
  return bytes;
}

/** What `WasmactorServer.restore()` does with the directory, minus the loading. */
async function restoreLike(): Promise<{ restored: Map<string, Uint8Array>; problems: StoreProblem[] }> {
  const store = await ComponentStore.open(dir);
  const { components, problems } = await store.list();
  const restored = new Map<string, Uint8Array>();
  for (const entry of components) {
    try {
      restored.set(entry.metadata.id, await store.readComponent(entry));
    } catch (error) {
      problems.push({ id: entry.metadata.id, message: (error as Error).message });
    }
  }
  return { restored, problems };
}

/** True when this process sees `corruption` as harmless (root reads mode-000 files). */
const harmless = (corruption: Corruption) => corruption.rootReads === true && IS_ROOT;

function expectReported(problems: StoreProblem[], id: string, corruption: Corruption): void {
  const mine = problems.filter((p) => p.id === id);
  expect(mine, `${corruption.name}: one problem for ${id}`).toHaveLength(1);
  const message = mine[0]?.message ?? '';
  expect(message, corruption.name).toMatch(corruption.problem);
  expect(message, corruption.name).toContain(join(dir, id, corruption.file));
  expect(message, corruption.name).toMatch(/load the component again to replace it, or delete/);
}

describe('a corrupt component directory', () => {
  it.each(CORRUPTIONS.map((c) => [c.name, c] as const))(
    '%s: skipped and reported, the others restored',
    async (_, corruption) => {
      const setup = await ComponentStore.open(dir);
      const a = await saveGood(setup, 'a-good');
      await saveGood(setup, 'm-broken');
      const z = await saveGood(setup, 'z-good');
      await corruption.apply(join(dir, 'm-broken'));

      const { restored, problems } = await within(BOUND_MS, 'start-up', restoreLike());

      expect(restored.get('a-good')).toEqual(a);
      expect(restored.get('z-good')).toEqual(z);
      if (harmless(corruption)) {
        expect(problems).toEqual([]);
        expect([...restored.keys()].sort()).toEqual(['a-good', 'm-broken', 'z-good']);
      } else {
        expect([...restored.keys()].sort()).toEqual(['a-good', 'z-good']);
        expectReported(problems, 'm-broken', corruption);
        expect(problems).toHaveLength(1);
      }
    },
  );

  // The problem message says "load the component again to replace it": that must work for every kind.
  it.each(CORRUPTIONS.map((c) => [c.name, c] as const))(
    '%s: saving the entry again replaces it',
    async (_, corruption) => {
      const store = await ComponentStore.open(dir);
      await saveGood(store, 'm-broken');
      await corruption.apply(join(dir, 'm-broken'));
      const bytes = await within(BOUND_MS, 'save', saveGood(store, 'm-broken'));
      const { restored, problems } = await within(BOUND_MS, 'start-up', restoreLike());
      expect(problems).toEqual([]);
      expect([...restored.entries()]).toEqual([['m-broken', bytes]]);
      expect(await store.remove('m-broken')).toBe(true);
      expect((await readdir(dir)).filter((n) => !n.endsWith('-loop'))).toEqual([]);
    },
  );

  it('reports junk beside the entries and removes what an interrupted save left, silently', async () => {
    const setup = await ComponentStore.open(dir);
    const good = await saveGood(setup, 'good');
    await writeFile(join(dir, 'notes.txt'), 'not a component');
    execFileSync('mkfifo', [join(dir, 'pipe')]);
    await symlink('/dev/zero', join(dir, 'zero'));
    await symlink(join(dir, 'good'), join(dir, 'alias'));
    await mkdir(join(dir, 'bad name'));
    await writeFile(join(dir, '.DS_Store'), 'x');
    // a save that crashed half-way through writing its staging folder
    await mkdir(join(dir, '.staging-good-0123456789ab'));
    await writeFile(join(dir, '.staging-good-0123456789ab', 'metadata.json'), '{"version":1,"id":"go');
    // and a staging leftover that is not even a folder
    execFileSync('mkfifo', [join(dir, '.staging-x-0123456789ab')]);

    const { restored, problems } = await within(BOUND_MS, 'start-up', restoreLike());

    expect([...restored.entries()]).toEqual([['good', good]]);
    const byId = Object.fromEntries(problems.map((p) => [p.id, p.message]));
    expect(Object.keys(byId).sort()).toEqual(['alias', 'bad name', 'notes.txt', 'pipe', 'zero']);
    expect(byId['notes.txt']).toMatch(/notes\.txt is a regular file, not a component folder/);
    expect(byId.pipe).toMatch(/pipe is a FIFO \(named pipe\), not a component folder/);
    expect(byId.zero).toMatch(/zero is a symbolic link, not a component folder/);
    expect(byId.alias).toMatch(/alias is a symbolic link, not a component folder/);
    expect(byId['bad name']).toMatch(/"bad name" cannot be a component id.*move it out/);
    expect((await readdir(dir)).filter((n) => n.startsWith('.staging-'))).toEqual([]);
  });

  it('property: any mix of good and corrupt entries and junk starts within the bound; good ones restored, broken ones reported', async () => {
    const kinds = fc.oneof(
      { weight: 2, arbitrary: fc.constant(undefined) },
      { weight: 3, arbitrary: fc.constantFrom(...CORRUPTIONS) },
    );
    let run = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(kinds, { minLength: 1, maxLength: 8 }), fc.boolean(), async (plan, junk) => {
        const root = join(dir, `run-${run++}`);
        await mkdir(root);
        const previous = dir;
        dir = root;
        try {
          const setup = await ComponentStore.open(dir);
          const bytes = new Map<string, Uint8Array>();
          for (const [i, corruption] of plan.entries()) {
            const id = `e${i}`;
            bytes.set(id, await saveGood(setup, id));
            if (corruption) await corruption.apply(join(dir, id));
          }
          if (junk) {
            await writeFile(join(dir, 'junk.bin'), new Uint8Array(64).fill(0xff));
            await mkdir(join(dir, '.staging-e0-0123456789ab'));
          }

          const { restored, problems } = await within(BOUND_MS, 'start-up', restoreLike());

          for (const [i, corruption] of plan.entries()) {
            const id = `e${i}`;
            if (!corruption || harmless(corruption)) {
              expect(restored.get(id), id).toEqual(bytes.get(id));
            } else {
              expect(restored.has(id), id).toBe(false);
              expectReported(problems, id, corruption);
            }
          }
          const expectedProblems = plan.filter((c) => c && !harmless(c)).length + (junk ? 1 : 0);
          expect(problems).toHaveLength(expectedProblems);
        } finally {
          const names = await readdir(dir).catch(() => [] as string[]);
          await releaseFifos(
            names.flatMap((n) => [join(dir, n, 'metadata.json'), join(dir, n, 'component.wasm')]),
          );
          dir = previous;
        }
      }),
      { numRuns: RUNS },
    );
  }, 120_000);

  // Root reads a mode-000 file, so above a root run restores those entries. Here the directory is listed
  // by a process that really lacks the permission: as `nobody` when the tests run as root, else as the
  // user running them.
  it('a mode-000 file is reported with "permission denied" to a user who cannot read it', async () => {
    const setup = await ComponentStore.open(dir);
    await saveGood(setup, 'a-good');
    await saveGood(setup, 'meta-000');
    await saveGood(setup, 'wasm-000');
    const uid = IS_ROOT ? 65534 : (process.getuid?.() as number);
    const gid = IS_ROOT ? 65534 : (process.getgid?.() as number);
    if (IS_ROOT) {
      for (const path of [dir, ...['a-good', 'meta-000', 'wasm-000'].flatMap((id) => entryPaths(id))]) {
        await chown(path, uid, gid);
      }
    }
    await chmod(join(dir, 'meta-000', 'metadata.json'), 0o000);
    await chmod(join(dir, 'wasm-000', 'component.wasm'), 0o000);
    const script = `
      import { ComponentStore } from ${JSON.stringify(join(REPO_ROOT, 'src/mcp/index.ts'))};
      const store = await ComponentStore.open(${JSON.stringify(dir)});
      const { components, problems } = await store.list();
      const restored = [];
      for (const entry of components) {
        try { await store.readComponent(entry); restored.push(entry.metadata.id); }
        catch (error) { problems.push({ id: entry.metadata.id, message: error.message }); }
      }
      process.stdout.write(JSON.stringify({ restored, problems }));`;
    const { stdout } = await within(
      30_000,
      'listing as another user',
      new Promise<{ stdout: string }>((done, fail) =>
        execFile(
          process.execPath,
          ['--import', 'tsx', '--input-type=module', '-e', script],
          { cwd: REPO_ROOT, uid, gid, env: { ...process.env, HOME: dir } },
          (error, out) => (error ? fail(error) : done({ stdout: out })),
        ),
      ),
    );
    const { restored, problems } = JSON.parse(stdout) as { restored: string[]; problems: StoreProblem[] };
    expect(restored).toEqual(['a-good']);
    const byId = Object.fromEntries(problems.map((p) => [p.id, p.message]));
    expect(Object.keys(byId).sort()).toEqual(['meta-000', 'wasm-000']);
    expect(byId['meta-000']).toMatch(/meta-000\/metadata\.json cannot be read: permission denied/);
    expect(byId['wasm-000']).toMatch(/wasm-000\/component\.wasm cannot be read: permission denied/);
  }, 60_000);
});

describe('a broken policy.yaml', () => {
  const kinds: [string, (path: string) => Promise<void>, RegExp][] = [
    ['a FIFO', async (p) => execFileSync('mkfifo', [p]) && undefined, /policy\.yaml is a FIFO/],
    ['a symlink to /dev/zero', (p) => symlink('/dev/zero', p), /policy\.yaml is a symbolic link/],
    ['a symlink loop', (p) => symlink(p, p), /policy\.yaml is a symbolic link/],
    ['a directory', (p) => mkdir(p).then(() => undefined), /policy\.yaml is a directory/],
    [
      '5 MiB (sparse)',
      (p) => writeFile(p, '').then(() => truncate(p, 5 * 1024 * 1024)),
      /policy\.yaml is 5242880 bytes, more than the limit/,
    ],
  ];

  it.each(kinds)(
    '%s: refused at once, the entry still lists, and a save replaces it with deny-all',
    async (_, make, problem) => {
      const store = await ComponentStore.open(dir);
      const bytes = await saveGood(store, 'p');
      const policyPath = join(dir, 'p', 'policy.yaml');
      await rm(policyPath);
      await make(policyPath);
      await expect(within(BOUND_MS, 'policy', store.policy('p'))).rejects.toThrow(problem);
      const { restored, problems } = await within(BOUND_MS, 'start-up', restoreLike());
      expect(problems).toEqual([]);
      expect(restored.get('p')).toEqual(bytes);
      await within(BOUND_MS, 'save', saveGood(store, 'p'));
      expect(await store.policy('p')).toMatch(/Nothing is allowed until it is granted/);
    },
  );

  it('a missing one rejects with ENOENT (which the server takes for deny-all)', async () => {
    const store = await ComponentStore.open(dir);
    await saveGood(store, 'p');
    await rm(join(dir, 'p', 'policy.yaml'));
    await expect(store.policy('p')).rejects.toMatchObject({ code: 'ENOENT' });
  });
});

function entryPaths(id: string): string[] {
  const entry = join(dir, id);
  return [entry, ...['metadata.json', 'component.wasm', 'policy.yaml'].map((f) => join(entry, f))];
}
