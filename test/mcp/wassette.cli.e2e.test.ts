/**
 * `wasmactor component load` applies the `<name>.policy.yaml` beside the .wasm exactly as
 * `load-component` does (issue 10): stored with the component, in force once a server restores it.
 */
import { copyFile, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixture, runWasmactor, spawnServer, tempDir } from './helpers.ts';

const cli = (...args: string[]) => runWasmactor(args);

const cleanups: (() => Promise<void>)[] = [];
let wasmDir: string;
let probe: string;

async function temp(prefix: string): Promise<string> {
  const t = await tempDir(prefix);
  cleanups.push(t.cleanup);
  return t.dir;
}

beforeAll(async () => {
  const [built] = (await fixture('wasi-probe')) as [string];
  wasmDir = await temp('wasmactor-cli-wasm-');
  probe = join(wasmDir, 'probe.wasm');
  await copyFile(built, probe);
}, 120_000);

afterAll(async () => {
  for (const cleanup of cleanups) await cleanup();
});

describe('wasmactor component load', () => {
  it('stores the sidecar policy (wassette forms accepted), and a served component runs under it', async () => {
    const dir = await temp('wasmactor-cli-dir-');
    await writeFile(
      join(wasmDir, 'probe.policy.yaml'),
      '$schema: "https://example.org/policy.json"\nversion: "1.0"\npermissions:\n  environment:\n    allow:\n      - key: CLI_POLICY_VALUE\n',
    );
    const stored = await cli('component', 'load', probe, '--component-dir', dir);
    expect(stored.code, stored.stderr).toBe(0);
    expect(stored.stdout).toContain(`with the policy ${join(wasmDir, 'probe.policy.yaml')}`);
    expect(await readFile(join(dir, 'probe', 'policy.yaml'), 'utf8')).toContain('CLI_POLICY_VALUE');

    const server = await spawnServer(dir, ['--env', 'CLI_POLICY_VALUE=granted', '--env', 'OTHER=hidden']);
    try {
      const get = (key: string) => server.client.callTool({ name: 'get-env', arguments: { key } });
      await expect
        .poll(async () => (await get('CLI_POLICY_VALUE')).structuredContent)
        .toEqual({
          result: 'granted',
        });
      expect((await get('OTHER')).structuredContent).toEqual({ result: null });
    } finally {
      await server.close();
    }
  });

  it('refuses a bad sidecar policy with file:line:field, and stores nothing', async () => {
    const dir = await temp('wasmactor-cli-dir-');
    const bad = join(wasmDir, 'bad.wasm');
    await copyFile(probe, bad);
    await writeFile(
      join(wasmDir, 'bad.policy.yaml'),
      'version: "1.0"\npermissions:\n  network:\n    allow:\n      - host: "ftp://x.example/"\n',
    );
    const refused = await cli('component', 'load', bad, '--component-dir', dir);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain(
      `${join(wasmDir, 'bad.policy.yaml')}:5: permissions.network.allow[0].host`,
    );
    const listed = await cli('component', 'list', '--json', '--component-dir', dir);
    expect(JSON.parse(listed.stdout)).toEqual([]);
  });

  it('without a sidecar the component gets the deny-all default', async () => {
    const dir = await temp('wasmactor-cli-dir-');
    const plain = join(wasmDir, 'plain.wasm');
    await copyFile(probe, plain);
    const stored = await cli('component', 'load', plain, '--component-dir', dir);
    expect(stored.code, stored.stderr).toBe(0);
    expect(await readFile(join(dir, 'plain', 'policy.yaml'), 'utf8')).toMatch(/permissions: \{\}/);
  });
});
