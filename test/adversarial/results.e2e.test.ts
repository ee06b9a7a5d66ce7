/**
 * The result cap end to end: `wasmactor serve` over real stdio and the SDK client with its default read
 * limit (10 MiB per message). A 5 MiB string result used to come back twice (10 MiB and more, over the
 * client's limit); now the default cap (4 MiB) refuses it, a 2 MiB one is sent once, and
 * `--max-result-size` sets the cap.
 */
import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  BIN,
  fixture,
  REPO_ROOT,
  resultText,
  type SpawnedServer,
  spawnServer,
  tempDir,
} from '../mcp/helpers.ts';

const MiB = 1024 * 1024;

let kitchen: string;
const servers: SpawnedServer[] = [];
const cleanups: (() => Promise<void>)[] = [];

/** A fresh component directory, deleted after the suite. */
async function freshDir(): Promise<string> {
  const { dir, cleanup } = await tempDir();
  cleanups.push(cleanup);
  return dir;
}

beforeAll(async () => {
  [kitchen] = (await fixture('kitchen-sink')) as [string];
}, 180_000);

afterAll(async () => {
  for (const server of servers) await server.close();
  for (const cleanup of cleanups) await cleanup();
});

async function serve(args: string[] = []): Promise<SpawnedServer> {
  const server = await spawnServer(await freshDir(), args);
  servers.push(server);
  const load = await server.client.callTool({ name: 'load-component', arguments: { path: kitchen } });
  expect(load.isError).toBeFalsy();
  return server;
}

describe('wasmactor serve caps results', () => {
  it('by default refuses a 5 MiB result with the limit and the flag, sends a 2 MiB one once', async () => {
    const { client } = await serve();
    const refused = await client.callTool({ name: 'echo-string', arguments: { v: 'x'.repeat(5 * MiB) } });
    expect(refused.isError).toBe(true);
    expect(resultText(refused)).toContain(`${5 * MiB + 2} bytes`);
    expect(resultText(refused)).toContain('4194304 bytes (4 MiB)');
    expect(resultText(refused)).toContain('--max-result-size');

    const value = 'y'.repeat(2 * MiB);
    const once = await client.callTool({ name: 'echo-string', arguments: { v: value } });
    expect(once.isError).toBeFalsy();
    expect(once.structuredContent).toEqual({ result: value });
    expect(resultText(once)).not.toContain('yyyy');
    expect(resultText(once)).toContain('structuredContent.result');

    const small = await client.callTool({ name: 'echo-string', arguments: { v: 'z' } });
    expect(small.content).toEqual([{ type: 'text', text: '"z"' }]);
    expect(small.structuredContent).toEqual({ result: 'z' });
  });

  it('--max-result-size sets the cap', async () => {
    const { client } = await serve(['--max-result-size', '64Ki']);
    const refused = await client.callTool({ name: 'echo-string', arguments: { v: 'x'.repeat(65 * 1024) } });
    expect(refused.isError).toBe(true);
    expect(resultText(refused)).toContain('65536 bytes (64 KiB)');
    const kept = await client.callTool({ name: 'echo-string', arguments: { v: 'x'.repeat(60 * 1024) } });
    expect(kept.isError).toBeFalsy();
  });

  it('refuses a --max-result-size that is not a size, before serving', async () => {
    const child = spawn(
      process.execPath,
      [BIN, 'serve', '--component-dir', await freshDir(), '--max-result-size', 'huge'],
      {
        cwd: REPO_ROOT,
        stdio: ['pipe', 'pipe', 'pipe'],
      },
    );
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString('utf8');
    });
    const code = await new Promise<number | null>((done) => child.on('exit', done));
    expect(code).not.toBe(0);
    expect(stderr).toContain('--max-result-size');
    expect(stderr).toContain('"huge"');
  });
});
