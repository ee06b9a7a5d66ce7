/**
 * `serve --max-instances N`: a stateful component may have N per-agent instances open at once; the
 * open-instance that would be one more is refused with the `instance-limit` error naming the limit and
 * the flag, and succeeds again once one is closed. A bad value is a usage error (exit 2) in our words;
 * `serve --help` documents the flag and its default.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultMaxInstances } from '../../src/machines/index.ts';
import {
  BIN,
  fixture,
  REPO_ROOT,
  resultJson,
  resultText,
  type SpawnedServer,
  spawnServer,
  tempDir,
} from './helpers.ts';

let server: SpawnedServer;
let dir: string;
let cleanup: () => Promise<void>;
let counterPath: string;

beforeAll(async () => {
  [counterPath] = (await fixture('counter')) as [string];
  const tmp = await tempDir();
  dir = tmp.dir;
  cleanup = tmp.cleanup;
  server = await spawnServer(join(dir, 'components'), ['--max-instances', '2']);
}, 60_000);

afterAll(async () => {
  await server?.close();
  await cleanup?.();
});

/** `node bin/wasmactor.js serve args` with stdin at end of file; never throws. */
function serve(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((done) => {
    const child = spawn(process.execPath, [BIN, 'serve', '--component-dir', join(dir, 'cli'), ...args], {
      cwd: REPO_ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => {
      stdout += c.toString('utf8');
    });
    child.stderr.on('data', (c: Buffer) => {
      stderr += c.toString('utf8');
    });
    child.on('close', (code) => done({ code: code ?? -1, stdout, stderr }));
  });
}

const open = () => server.client.callTool({ name: 'open-instance', arguments: { component_id: 'counter' } });

describe('serve --max-instances', () => {
  it('refuses the instance one beyond the limit, naming the limit and the flag; a close makes room', async () => {
    const loaded = await server.client.callTool({
      name: 'load-component',
      arguments: { path: counterPath, stateful: true },
    });
    expect(loaded.isError, resultText(loaded)).toBeFalsy();
    const first = await open();
    const second = await open();
    expect(first.isError, resultText(first)).toBeFalsy();
    expect(second.isError, resultText(second)).toBeFalsy();
    const third = await open();
    expect(third.isError).toBe(true);
    expect(resultText(third)).toMatch(
      /component counter already has 2 instances open \(the limit, serve --max-instances\); close one with close-instance first/,
    );
    const handle = (resultJson(first) as { instance: string }).instance;
    const closed = await server.client.callTool({ name: 'close-instance', arguments: { instance: handle } });
    expect(closed.isError, resultText(closed)).toBeFalsy();
    const again = await open();
    expect(again.isError, resultText(again)).toBeFalsy();
  });

  it.each(['0', '-3', 'many', '2.5', ''])(
    'refuses --max-instances=%j with exit 2 and says why',
    async (value) => {
      const { code, stdout, stderr } = await serve(`--max-instances=${value}`);
      expect({ code, stdout }).toEqual({ code: 2, stdout: '' });
      expect(stderr).toBe(
        `wasmactor serve: --max-instances takes a whole number of instances from 1 (default ${defaultMaxInstances}): ${JSON.stringify(value)} is not one\n`,
      );
    },
  );

  it('is documented in serve --help with its default', async () => {
    const { code, stdout } = await serve('--help');
    expect(code).toBe(0);
    expect(stdout).toMatch(
      new RegExp(
        `--max-instances N +per-agent instances \\(open-instance\\)[^]*\\(default ${defaultMaxInstances}\\)`,
      ),
    );
  });
});
