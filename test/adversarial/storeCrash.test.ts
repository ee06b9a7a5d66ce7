/**
 * A save cut short by kill -9 never stops the next start-up: a child process saves entries in a loop
 * (new ones and replacements, 1 MiB each) and is killed at a random moment; then the directory is opened
 * the way `restore()` opens it. Every entry is whole (its bytes match its sha256), nothing is reported
 * broken, and no staging leftover survives `open()`.
 */
import { spawn } from 'node:child_process';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ComponentStore } from '../../src/mcp/index.ts';
import { REPO_ROOT, tempDir } from '../mcp/helpers.ts';
import { within } from './storeCorruptions.ts';

const KILLS = 8;

let dir: string;
let cleanup: () => Promise<void>;
beforeEach(async () => {
  ({ dir, cleanup } = await tempDir('wasmactor-store-crash-'));
});
afterEach(() => cleanup());

const SAVER = (componentDir: string) => `
  import { ComponentStore } from ${JSON.stringify(join(REPO_ROOT, 'src/mcp/index.ts'))};
  import { sha256 } from ${JSON.stringify(join(REPO_ROOT, 'src/runtime/index.ts'))};
  const store = await ComponentStore.open(${JSON.stringify(componentDir)});
  const tool = { name: 't', description: '', inputSchema: { type: 'object' }, outputSchema: { type: 'object' },
    function: { name: 't', params: [] } };
  process.stdout.write('ready\\n');
  for (let i = 0; ; i++) {
    const id = i % 2 === 0 ? 'replaced' : 'new-' + i;
    const bytes = new Uint8Array(1024 * 1024).fill(i % 251);
    await store.save({ version: 1, id, source: '/x', sha256: sha256(bytes), stateful: false,
      tools: Array.from({ length: 200 }, (_, k) => ({ ...tool, name: 't' + k })),
      loadedAt: new Date().toISOString() }, bytes);
  }`;

/** Runs the saver until it has saved for `ms`, then kills it with SIGKILL. */
async function saveThenKill(ms: number): Promise<void> {
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', SAVER(dir)], {
    cwd: REPO_ROOT,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  await new Promise<void>((ready, fail) => {
    child.stdout.once('data', () => ready());
    child.once('exit', (code) => fail(new Error(`the saver exited with ${code} before it was ready`)));
  });
  await new Promise((r) => setTimeout(r, ms));
  const exited = new Promise((done) => child.once('exit', done));
  child.kill('SIGKILL');
  await exited;
}

describe('a save cut short by kill -9', () => {
  it(`never leaves a broken entry or stops the start-up (${KILLS} kills at random moments)`, async () => {
    let entries = 0;
    let midSave = 0;
    for (let kill = 0; kill < KILLS; kill++) {
      await saveThenKill(50 + Math.floor(Math.random() * 400));
      const leftovers = (await readdir(dir)).filter((n) => n.startsWith('.'));
      if (leftovers.length > 0) midSave++;
      const { components, problems, readable } = await within(
        5_000,
        'start-up',
        (async () => {
          const store = await ComponentStore.open(dir);
          const listed = await store.list();
          let count = 0;
          for (const entry of listed.components) {
            await store.readComponent(entry);
            count++;
          }
          return { ...listed, readable: count };
        })(),
      );
      expect(problems, `after kill ${kill} (leftovers before open: ${leftovers.join(', ')})`).toEqual([]);
      expect(readable).toBe(components.length);
      expect((await readdir(dir)).filter((n) => n.startsWith('.'))).toEqual([]);
      entries = components.length;
    }
    // the saver got far enough to have written entries at all
    expect(entries).toBeGreaterThan(0);
    console.log(
      `${KILLS} kills, ${midSave} of them in the middle of a save (staging or old folder left), ${entries} entries`,
    );
  }, 120_000);
});
