/**
 * Concurrent changes to one component lose nothing (issue 16, item 10), against the real server in one
 * process: a real `Client` over an in-memory transport, a real ComponentStore in a temporary folder, the
 * real runtime, the `wasi-probe` and `counter` fixtures. Before the fix, 20 concurrent grants gave 2-4
 * answers and kept 1 grant (the rest failed with raw ENOENT/ENOTEMPTY), a revoke was undone by a
 * concurrent grant while acknowledged, and concurrent reloads failed with "saving it ... failed".
 */
import { copyFile, mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Client } from '@modelcontextprotocol/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ComponentHost } from '../../src/machines/index.ts';
import { ComponentStore, WasmactorServer } from '../../src/mcp/index.ts';
import { createRuntime } from '../../src/runtime/index.ts';
import { connectInProcess, fixture, resultJson, resultText, tempDir } from '../mcp/helpers.ts';
import { permissionsOf } from './policyConcurrency.model.ts';

type Result = Awaited<ReturnType<Client['callTool']>>;

let server: WasmactorServer;
let store: ComponentStore;
let client: Client;
let storeDir: string;
let data: string;
let probePath: string;
let counterPath: string;
const cleanups: (() => Promise<void>)[] = [];
/** While set, saves of the entry of this id wait for `gate.open`. */
let gate: { id: string; opened: Promise<void>; open: () => void } | undefined;

async function temp(prefix: string): Promise<string> {
  const t = await tempDir(prefix);
  cleanups.push(t.cleanup);
  return t.dir;
}

beforeAll(async () => {
  const [probe, counter] = (await fixture('wasi-probe', 'counter')) as [string, string];
  storeDir = await temp('wasmactor-pc-store-');
  data = await temp('wasmactor-pc-data-');
  const wasmDir = await temp('wasmactor-pc-wasm-');
  probePath = join(wasmDir, 'wasi-probe.wasm');
  counterPath = join(wasmDir, 'counter.wasm');
  await copyFile(probe, probePath);
  await copyFile(counter, counterPath);
  for (let i = 0; i < 20; i++) {
    await mkdir(join(data, `d${i}`));
    await writeFile(join(data, `d${i}`, 'f.txt'), `file ${i}`);
  }
  store = await ComponentStore.open(storeDir);
  const save = store.save.bind(store);
  store.save = async (metadata, bytes, policy) => {
    if (gate && metadata.id === gate.id) await gate.opened;
    return save(metadata, bytes, policy);
  };
  server = new WasmactorServer({ host: new ComponentHost({ runtime: createRuntime() }), store });
  client = await connectInProcess(server, 'policy-concurrency');
  for (const path of [probePath, counterPath]) expectOk(await call('load-component', { path }));
}, 180_000);

afterAll(async () => {
  await client?.close();
  await server?.close();
  for (const cleanup of cleanups) await cleanup();
});

function call(name: string, args: Record<string, unknown> = {}): Promise<Result> {
  return client.callTool({ name, arguments: args });
}

function expectOk(result: Result): Result {
  expect(result.isError, resultText(result)).toBeFalsy();
  return result;
}

const dir = (i: number) => join(data, `d${i}`);
const uri = (i: number) => `fs://${dir(i)}`;
const grantRead = (id: string, i: number) =>
  call('grant-storage-permission', { component_id: id, details: { uri: uri(i), access: ['read'] } });
const revoke = (id: string, i: number) =>
  call('revoke-storage-permission', { component_id: id, details: { uri: uri(i) } });
const reset = (id: string) => call('reset-permission', { component_id: id });
const readByGuest = (i: number) => call('read-file', { path: join(dir(i), 'f.txt') });

async function shownPermissions(id: string) {
  const shown = expectOk(await call('get-policy', { component_id: id }));
  return permissionsOf((resultJson(shown) as { policy: string }).policy);
}

async function diskPermissions(id: string) {
  return permissionsOf(await readFile(join(storeDir, id, 'policy.yaml'), 'utf8'));
}

/** Rejects after `ms` with `message`: a bound on a wait that must not block. */
function within<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(message)), ms);
  });
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}

describe('concurrent permission changes of one component', () => {
  it('20 concurrent grants: all 20 acknowledged, kept, on disk, and the guest reads all 20 directories', async () => {
    expectOk(await reset('wasi-probe'));
    const answers = await Promise.all(Array.from({ length: 20 }, (_, i) => grantRead('wasi-probe', i)));
    for (const answer of answers) expectOk(answer);
    const all = {
      storage: { allow: Array.from({ length: 20 }, (_, i) => ({ uri: uri(i), access: ['read'] })) },
    };
    expect(await shownPermissions('wasi-probe')).toEqual(all);
    expect(await diskPermissions('wasi-probe')).toEqual(all);
    // The i-th answer shows the first i+1 grants: the changes were made in the order they were sent.
    answers.forEach((answer, i) => {
      expect((resultJson(answer) as { permissions: unknown }).permissions).toEqual({
        storage: { allow: all.storage.allow.slice(0, i + 1) },
      });
    });
    for (let i = 0; i < 20; i++) {
      expect((await readByGuest(i)).structuredContent).toEqual({ result: { ok: `file ${i}` } });
    }
    expect(server.changesInFlight).toBe(0);
  });

  it('an acknowledged revoke is never undone by concurrent grants and reloads (the guest cannot read the directory)', async () => {
    const TRIALS = 12;
    let acknowledged = 0;
    let readAfterRevoke = 0;
    for (let trial = 0; trial < TRIALS; trial++) {
      expectOk(await reset('wasi-probe'));
      expectOk(await grantRead('wasi-probe', 0));
      expect((await readByGuest(0)).structuredContent).toEqual({ result: { ok: 'file 0' } });
      const reads: Promise<Result>[] = [];
      const changes = [
        grantRead('wasi-probe', 1 + (trial % 5)),
        // Read by the guest the moment the revoke is acknowledged, while the later changes still run.
        revoke('wasi-probe', 0).then((answer) => {
          reads.push(readByGuest(0));
          return answer;
        }),
        trial % 2 === 0 ? call('load-component', { path: probePath }) : grantRead('wasi-probe', 7),
        grantRead('wasi-probe', 8 + (trial % 5)),
      ];
      const answers = await Promise.all(changes);
      for (const answer of answers) expectOk(answer);
      acknowledged += 1;
      reads.push(readByGuest(0));
      for (const read of await Promise.all(reads)) {
        if ((read.structuredContent as { result: { ok?: string } }).result.ok !== undefined)
          readAfterRevoke += 1;
        expect(read.structuredContent).toEqual({ result: { err: expect.stringContaining('no preopen') } });
      }
      const shown = await shownPermissions('wasi-probe');
      expect(shown.storage?.allow.map((s) => s.uri)).not.toContain(uri(0));
      expect(await diskPermissions('wasi-probe')).toEqual(shown);
    }
    expect({ acknowledged, readAfterRevoke }).toEqual({ acknowledged: TRIALS, readAfterRevoke: 0 });
  });

  it('concurrent reloads all succeed and leave one whole entry with the policy', async () => {
    expectOk(await reset('wasi-probe'));
    expectOk(await grantRead('wasi-probe', 3));
    const answers = await Promise.all(
      Array.from({ length: 6 }, () => call('load-component', { path: probePath })),
    );
    for (const answer of answers) expectOk(answer);
    const { components, problems } = await store.list();
    expect(problems).toEqual([]);
    expect(components.map((c) => c.metadata.id).sort()).toEqual(['counter', 'wasi-probe']);
    expect((await readdir(storeDir)).filter((name) => name.startsWith('.'))).toEqual([]);
    const expected = { storage: { allow: [{ uri: uri(3), access: ['read'] }] } };
    expect(await diskPermissions('wasi-probe')).toEqual(expected);
    expect(await shownPermissions('wasi-probe')).toEqual(expected);
    expect((await readByGuest(3)).structuredContent).toEqual({ result: { ok: 'file 3' } });
  });

  it('a change of one component does not wait for a change of another; a read waits for its own', async () => {
    expectOk(await reset('wasi-probe'));
    expectOk(await reset('counter'));
    let open = () => {};
    const opened = new Promise<void>((done) => {
      open = done;
    });
    gate = { id: 'wasi-probe', opened, open };
    try {
      let probeDone = false;
      const probeGrant = grantRead('wasi-probe', 4).then((answer) => {
        probeDone = true;
        return answer;
      });
      let shownDone = false;
      const probeShown = shownPermissions('wasi-probe').then((shown) => {
        shownDone = true;
        return shown;
      });
      // The counter's grant and get-policy answer while the probe's grant is held in its write.
      expectOk(await within(grantRead('counter', 5), 20_000, "the counter's grant waited for the probe's"));
      expect(
        await within(shownPermissions('counter'), 20_000, 'get-policy waited for another component'),
      ).toEqual({
        storage: { allow: [{ uri: uri(5), access: ['read'] }] },
      });
      expect({ probeDone, shownDone }).toEqual({ probeDone: false, shownDone: false });
      open();
      expectOk(await probeGrant);
      // get-policy was sent after the grant: it shows it.
      expect(await probeShown).toEqual({ storage: { allow: [{ uri: uri(4), access: ['read'] }] } });
    } finally {
      gate = undefined;
      open();
    }
    expect(server.changesInFlight).toBe(0);
  });
});

describe('changes queued around a load or an unload of the same id', () => {
  it('a grant sent right after load-component of a new id waits for the load and is kept', async () => {
    const path = join(data, '..', 'fresh.wasm');
    await copyFile(counterPath, path);
    const [loaded, granted] = await Promise.all([call('load-component', { path }), grantRead('fresh', 6)]);
    expectOk(loaded);
    expect((resultJson(expectOk(granted)) as { permissions: unknown }).permissions).toEqual({
      storage: { allow: [{ uri: uri(6), access: ['read'] }] },
    });
    expect(await diskPermissions('fresh')).toEqual({
      storage: { allow: [{ uri: uri(6), access: ['read'] }] },
    });
    expectOk(await call('unload-component', { id: 'fresh' }));
  });

  it('a grant queued behind an unload is refused as not loaded, and nothing is left behind', async () => {
    const path = join(data, '..', 'gone.wasm');
    await copyFile(counterPath, path);
    expectOk(await call('load-component', { path }));
    const [unloaded, granted, shown] = await Promise.all([
      call('unload-component', { id: 'gone' }),
      grantRead('gone', 6),
      call('get-policy', { component_id: 'gone' }),
    ]);
    expectOk(unloaded);
    expect(granted.isError).toBe(true);
    expect(resultText(granted)).toBe('No component "gone" is loaded (see list-components).');
    expect(shown.isError).toBe(true);
    expect(resultText(shown)).toContain('No component "gone" is loaded');
    expect((await readdir(storeDir)).sort()).toEqual(['counter', 'wasi-probe']);
    expect(server.changesInFlight).toBe(0);
  });
});

describe('without a component directory', () => {
  it('20 concurrent grants are all acknowledged and kept in memory, in the order sent', async () => {
    const memoryServer = new WasmactorServer({ host: new ComponentHost({ runtime: createRuntime() }) });
    const memoryClient = await connectInProcess(memoryServer, 'policy-concurrency-memory');
    try {
      const loaded = await memoryClient.callTool({ name: 'load-component', arguments: { path: probePath } });
      expectOk(loaded);
      const answers = await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          memoryClient.callTool({
            name: 'grant-storage-permission',
            arguments: { component_id: 'wasi-probe', details: { uri: uri(i), access: ['read'] } },
          }),
        ),
      );
      const all = Array.from({ length: 20 }, (_, i) => ({ uri: uri(i), access: ['read'] }));
      answers.forEach((answer, i) => {
        expect((resultJson(expectOk(answer)) as { permissions: unknown }).permissions).toEqual({
          storage: { allow: all.slice(0, i + 1) },
        });
      });
      const shown = expectOk(
        await memoryClient.callTool({ name: 'get-policy', arguments: { component_id: 'wasi-probe' } }),
      );
      expect(permissionsOf((resultJson(shown) as { policy: string }).policy)).toEqual({
        storage: { allow: all },
      });
      expect(memoryServer.changesInFlight).toBe(0);
    } finally {
      await memoryClient.close();
      await memoryServer.close();
    }
  });
});
