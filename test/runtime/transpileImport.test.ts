/**
 * jco-transpile is loaded only on a transpile-cache miss (issue 15, start-up): a second run with the
 * cache warm loads none of its modules. Seen through the import recorder of test/firstrun (every module
 * URL any thread of the process resolves); resolving the package's entry to read its version is not a
 * load, so the check is on its inner modules.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixturePath } from '../helpers/fixtures.ts';

const bin = new URL('../../bin/wasmactor.js', import.meta.url).pathname;
const recorder = new URL('../firstrun/importRecorder.mjs', import.meta.url).pathname;
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'wasmactor-transpile-import-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

/** Runs `wasmactor call counter.wasm get` with the recorder; the module URLs it resolved. */
async function callImports(run: number): Promise<string[]> {
  const log = join(dir, `imports-${run}.log`);
  await writeFile(log, '');
  const code = await new Promise<number | null>((done) => {
    const child = spawn(
      process.execPath,
      ['--import', recorder, bin, 'call', fixturePath('counter'), 'get'],
      {
        stdio: 'ignore',
        env: { ...process.env, XDG_CACHE_HOME: join(dir, 'cache'), WASMACTOR_IMPORT_LOG: log },
      },
    );
    child.on('close', done);
  });
  expect(code).toBe(0);
  return (await readFile(log, 'utf8')).split('\n').filter(Boolean);
}

const transpiler = (urls: string[]) =>
  urls.filter((u) => /@bytecodealliance\/jco-transpile\/dist\/transpile\.js$/.test(u));

describe('jco-transpile', () => {
  it('is loaded on a cache miss and not at all once the transpile cache holds the component', async () => {
    expect(transpiler(await callImports(1)), 'a miss transpiles').not.toEqual([]);
    expect(transpiler(await callImports(2)), 'a hit loads no transpiler').toEqual([]);
  }, 60_000);
});
