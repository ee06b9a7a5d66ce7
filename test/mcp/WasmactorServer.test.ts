/**
 * The MCP layer in one process: a real `Client` over an in-memory transport pair, a real ComponentHost.
 */
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ComponentHost } from '../../src/machines/index.ts';
import { ComponentStore, WasmactorServer } from '../../src/mcp/index.ts';
import { createRuntime } from '../../src/runtime/index.ts';
import { connectInProcess, fixture, resultJson, resultText, tempDir } from './helpers.ts';

let server: WasmactorServer;
let cleanup: () => Promise<void>;
let dir: string;

const connect = () => connectInProcess(server);

beforeEach(async () => {
  ({ dir, cleanup } = await tempDir());
  server = new WasmactorServer({
    host: new ComponentHost({ runtime: createRuntime() }),
    store: await ComponentStore.open(dir),
  });
});

afterEach(async () => {
  await server.close();
  await cleanup();
});

describe('WasmactorServer', () => {
  it('keeps the tools of every connected client in step and tells each one', async () => {
    const [counter] = (await fixture('counter')) as [string];
    const a = await connect();
    const b = await connect();
    let bChanged = 0;
    b.setNotificationHandler('notifications/tools/list_changed', () => {
      bChanged++;
    });
    await a.callTool({ name: 'load-component', arguments: { path: counter, stateful: true } });
    expect((await b.listTools()).tools.map((t) => t.name)).toContain('increment');
    expect(bChanged).toBeGreaterThanOrEqual(1);
    expect((await b.callTool({ name: 'increment', arguments: {} })).structuredContent).toEqual({ result: 1 });
    expect((await a.callTool({ name: 'increment', arguments: {} })).structuredContent).toEqual({ result: 2 });
    await b.callTool({ name: 'unload-component', arguments: { id: 'counter' } });
    expect((await a.listTools()).tools.map((t) => t.name)).not.toContain('increment');
    expect((await ComponentStore.open(dir).then((s) => s.list())).components).toEqual([]);
  });

  it('restores from the component directory: tools listed at once, a call made right away is served fresh', async () => {
    const [counter] = (await fixture('counter')) as [string];
    await server.loadComponent(counter, true);
    await server.close();
    server = new WasmactorServer({
      host: new ComponentHost({ runtime: createRuntime() }),
      store: await ComponentStore.open(dir),
    });
    const { restored, ready } = await server.restore();
    expect(restored).toEqual(['counter']);
    const client = await connect();
    expect((await client.listTools()).tools.map((t) => t.name)).toContain('increment');
    const first = client.callTool({ name: 'increment', arguments: {} });
    await ready;
    expect((await first).structuredContent).toEqual({ result: 1 });
  });

  it('a call to a restored component whose load fails gets the load error', async () => {
    const [store] = (await fixture('store')) as [string];
    await server.loadComponent(store, true);
    await server.close();
    // A valid policy the component cannot run under: the cap is below the memory it needs at start.
    await writeFile(
      join(dir, 'store', 'policy.yaml'),
      'version: "1.0"\npermissions:\n  resources:\n    limits:\n      memory: 64Ki\n',
    );
    server = new WasmactorServer({
      host: new ComponentHost({ runtime: createRuntime() }),
      store: await ComponentStore.open(dir),
    });
    const { restored, ready } = await server.restore();
    expect(restored).toEqual(['store']);
    // made while the restore runs: it waits in the component's queue and gets the load's answer
    const result = await server.callTool('count', 'store', {});
    await ready;
    expect(result.isError).toBe(true);
    expect(resultText(result)).toMatch(/^component store failed to load: the memory limit .* is below/);
    expect(resultText(result)).toMatch(/\. Fix the component and load it again with load-component\.$/);
    expect(server.listedTools()).toEqual([]);
  });

  it('get-policy answers with the grants of a component also without a component directory', async () => {
    const [counter] = (await fixture('counter')) as [string];
    await server.close();
    server = new WasmactorServer({ host: new ComponentHost({ runtime: createRuntime() }) });
    const client = await connect();
    await client.callTool({ name: 'load-component', arguments: { path: counter } });
    const grant = await client.callTool({
      name: 'grant-environment-variable-permission',
      arguments: { component_id: 'counter', details: { key: 'SOME_KEY' } },
    });
    expect(grant.isError).toBeFalsy();
    const shown = resultJson(
      await client.callTool({ name: 'get-policy', arguments: { component_id: 'counter' } }),
    );
    expect((shown as { policy: string }).policy).toMatch(/environment:\s+allow:\s+- key: "SOME_KEY"/);
  });

  it('get-policy reports a policy file it cannot read instead of showing deny-all', async () => {
    const [counter] = (await fixture('counter')) as [string];
    const client = await connect();
    await client.callTool({ name: 'load-component', arguments: { path: counter } });
    const policyFile = join(dir, 'counter', 'policy.yaml');
    await rm(policyFile);
    await mkdir(policyFile);
    const shown = await client.callTool({ name: 'get-policy', arguments: { component_id: 'counter' } });
    expect(shown.isError).toBe(true);
    expect(resultText(shown)).toMatch(
      /^Cannot show the policy of counter: cannot read the policy file .*policy\.yaml is a directory/,
    );
    // and a grant does not overwrite what it could not read
    const grant = await client.callTool({
      name: 'grant-environment-variable-permission',
      arguments: { component_id: 'counter', details: { key: 'SOME_KEY' } },
    });
    expect(grant.isError).toBe(true);
  });

  it('refuses a policy_path URL like a component URL, naming policy_path', async () => {
    const [counter] = (await fixture('counter')) as [string];
    const client = await connect();
    const refused = await client.callTool({
      name: 'load-component',
      arguments: { path: counter, policy_path: 'https://x/p.yaml' },
    });
    expect(refused.isError).toBe(true);
    expect(resultText(refused)).toBe(
      `Cannot load ${counter}: policy_path takes a local file, not https://: a policy grants permissions, so it is never downloaded; save it where you can review it and give its path`,
    );
  });

  it('a stateless fault says the next call gets a fresh instance, as its own sentence', async () => {
    const [counter] = (await fixture('counter')) as [string];
    const client = await connect();
    await client.callTool({ name: 'load-component', arguments: { path: counter } });
    const trapped = await client.callTool({ name: 'trap', arguments: {} });
    expect(trapped.isError).toBe(true);
    expect(resultText(trapped)).toMatch(/instruction executed\. The next call gets a fresh instance\.$/);
  });

  it('a load cut short by unload-component says the unload cancelled it', async () => {
    const [store] = (await fixture('store')) as [string];
    const client = await connect();
    const loading = client.callTool({ name: 'load-component', arguments: { path: store, stateful: true } });
    await vi.waitFor(() => expect(server.listComponents()[0]?.state).toBe('loading'), { interval: 1 });
    const unloaded = await client.callTool({ name: 'unload-component', arguments: { id: 'store' } });
    expect(unloaded.isError).toBeFalsy();
    expect(resultText(await loading)).toBe(
      `Cannot load ${store}: the load was cancelled by unload-component.`,
    );
  });

  it('a broken secrets file stops a load, a grant and a restore from using it, naming the file', async () => {
    const [counter] = (await fixture('counter')) as [string];
    const secretsDir = join(dir, '.secrets');
    const file = join(secretsDir, 'counter.yaml');
    const open = async () => {
      await server.close();
      server = new WasmactorServer({
        host: new ComponentHost({ runtime: createRuntime() }),
        store: await ComponentStore.open(dir),
        secretsDir,
      });
    };
    await open();
    await mkdir(secretsDir);
    await writeFile(file, '- a list\n- not a mapping\n');
    const client = await connect();
    const load = () => client.callTool({ name: 'load-component', arguments: { path: counter } });
    const refused = await load();
    expect(refused.isError).toBe(true);
    expect(resultText(refused)).toBe(
      `Cannot load ${counter}: the secrets file ${file} is not a mapping of KEY: value; fix the file (a YAML mapping of KEY: value) or delete it, then try again`,
    );
    expect(server.listComponents()).toEqual([]);

    await writeFile(file, 'TOKEN: "t"\n');
    expect((await load()).isError).toBeFalsy();
    await writeFile(file, 'TOKEN: [unclosed\n');
    const grant = await client.callTool({
      name: 'grant-environment-variable-permission',
      arguments: { component_id: 'counter', details: { key: 'SOME_KEY' } },
    });
    expect(grant.isError).toBe(true);
    expect(resultText(grant)).toContain(`the secrets file ${file} is not a mapping`);
    const policy = resultJson(
      await client.callTool({ name: 'get-policy', arguments: { component_id: 'counter' } }),
    ) as { policy: string };
    expect(policy.policy).not.toContain('SOME_KEY');

    const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    await open();
    const { restored, ready } = await server.restore();
    await ready;
    const logged = stderr.mock.calls.map((c) => String(c[0])).join('');
    stderr.mockRestore();
    expect(restored).toEqual(['counter']);
    expect(logged).toContain('it runs deny-all');
    expect(logged).toContain(file);
  });

  it('a component directory that fails a write gets a coded answer naming it, for a load and an unload', async () => {
    const [counter] = (await fixture('counter')) as [string];
    const client = await connect();
    const store = server.store as ComponentStore;
    const disk = Object.assign(new Error('ENOSPC: no space left on device'), { code: 'ENOSPC' });
    const save = vi.spyOn(store, 'save').mockRejectedValueOnce(disk);
    const loaded = await client.callTool({ name: 'load-component', arguments: { path: counter } });
    expect(resultText(loaded)).toBe(
      `Cannot load ${counter}: component counter is loaded, but saving it to ${dir} failed (ENOSPC: no space left on device); it will not be restored after a restart`,
    );
    save.mockRestore();
    await client.callTool({ name: 'load-component', arguments: { path: counter } });
    vi.spyOn(store, 'remove').mockRejectedValueOnce(disk);
    const unloaded = await client.callTool({ name: 'unload-component', arguments: { id: 'counter' } });
    expect(unloaded.isError).toBe(true);
    expect(resultText(unloaded)).toBe(
      `Cannot unload counter: component counter is unloaded, but deleting it from ${dir} failed (ENOSPC: no space left on device); it will be loaded again on the next start unless it is deleted`,
    );
  });
});
