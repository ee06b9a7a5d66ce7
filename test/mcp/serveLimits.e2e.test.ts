/**
 * The limits of `wasmactor serve` that the runtime and the policies enforce, set from its command line:
 * --max-component-size, --max-memory and --allow-broad-grants, through a real server over stdio.
 */
import { execFile } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { BIN, fixture, resultText, type SpawnedServer, spawnServer, tempDir } from './helpers.ts';

const run = promisify(execFile);
const cleanups: (() => Promise<void>)[] = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function serve(args: string[]): Promise<{ server: SpawnedServer; componentDir: string }> {
  const temp = await tempDir('wasmactor-limits-');
  cleanups.push(temp.cleanup);
  const componentDir = join(temp.dir, 'components');
  const server = await spawnServer(componentDir, args);
  cleanups.push(server.close);
  return { server, componentDir };
}

async function call(server: SpawnedServer, name: string, args: Record<string, unknown>) {
  const result = await server.client.callTool({ name, arguments: args });
  return { isError: result.isError === true, text: resultText(result) };
}

describe('wasmactor serve limits', () => {
  it('--max-component-size refuses a larger component before reading it, naming the flag', async () => {
    const [kitchen, counter] = await fixture('kitchen-sink', 'counter');
    const { server } = await serve(['--max-component-size', '64Ki']);
    const refused = await call(server, 'load-component', { path: kitchen });
    expect(refused.isError).toBe(true);
    expect(refused.text).toMatch(/larger than the limit of 65536 bytes/);
    expect(refused.text).toContain('--max-component-size');
    // a component under the limit still loads: the server kept running
    expect((await call(server, 'load-component', { path: counter })).isError).toBe(false);
  });

  it('--max-memory caps an instance whose policy sets no limit, naming the flag', async () => {
    const [kitchen, counter] = await fixture('kitchen-sink', 'counter');
    // A JS component needs megabytes at start; the WAT counter needs one 64 KiB page.
    const { server } = await serve(['--max-memory', '64Ki']);
    const refused = await call(server, 'load-component', { path: kitchen, stateful: true });
    expect(refused.isError).toBe(true);
    expect(refused.text).toContain('--max-memory');
    expect((await call(server, 'load-component', { path: counter, stateful: true })).isError).toBe(false);
    expect(await call(server, 'increment', {})).toMatchObject({ isError: false, text: '1' });
  });

  it('refuses broad storage grants unless --allow-broad-grants, and takes them with it', async () => {
    const [counter] = await fixture('counter');
    const strict = await serve([]);
    await call(strict.server, 'load-component', { path: counter });
    const grant = (server: SpawnedServer, uri: string) =>
      call(server, 'grant-storage-permission', {
        component_id: 'counter',
        details: { uri, access: ['read'] },
      });
    for (const uri of ['fs:///', 'fs:///proc', `fs://${strict.componentDir}`]) {
      const refused = await grant(strict.server, uri);
      expect(refused.isError, uri).toBe(true);
      expect(refused.text, uri).toContain('--allow-broad-grants');
    }
    // an ordinary directory is granted as before
    const data = await tempDir('wasmactor-limits-data-');
    cleanups.push(data.cleanup);
    expect((await grant(strict.server, `fs://${data.dir}`)).isError).toBe(false);

    const lax = await serve(['--allow-broad-grants']);
    await call(lax.server, 'load-component', { path: counter });
    expect((await grant(lax.server, 'fs:///proc')).isError).toBe(false);
  });

  it('refuses a size flag that is not a size, naming the value, before serving', async () => {
    const temp = await tempDir('wasmactor-limits-');
    cleanups.push(temp.cleanup);
    await mkdir(join(temp.dir, 'c'));
    for (const flag of ['--max-component-size', '--max-memory']) {
      const failed = await run(process.execPath, [
        BIN,
        'serve',
        '--component-dir',
        join(temp.dir, 'c'),
        flag,
        'lots',
      ]).then(
        () => undefined,
        (error: { code: number; stderr: string }) => error,
      );
      expect(failed?.code, flag).toBe(2);
      expect(failed?.stderr, flag).toContain(`${flag} takes a number of bytes`);
      expect(failed?.stderr, flag).toContain('"lots"');
    }
  });
});
