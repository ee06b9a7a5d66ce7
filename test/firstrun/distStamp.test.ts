/**
 * In a checkout, bin/wasmactor.js runs dist/ only when dist/ is provably built from the sources as they
 * are (scripts/buildStamp.mjs); a stale dist/ never stands in for the sources (issue 15: `npm start` runs
 * the bundle it builds, and an edit of src/ is what runs next, without a build). Seen in a copy of the
 * checkout (its bin, scripts, sources and settings; node_modules linked), built there with the real build.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { distIsCurrent, STAMP_FILE, sourcesHash } from '../../scripts/buildStamp.mjs';
import { buildCopy, copyCheckout } from './checkoutCopy.ts';

const exec = promisify(execFile);
const recorder = join(import.meta.dirname, 'importRecorder.mjs');
let dir: string;
/** The copy of the checkout. */
let copy: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'wasmactor-stamp-'));
  copy = await copyCheckout(join(dir, 'checkout'));
}, 60_000);
afterAll(() => rm(dir, { recursive: true, force: true }));

/** Builds the copy's dist/ (`--if-stale`: only when it is not current, as `npm start` does). */
const build = (...flags: string[]) => buildCopy(copy, ...flags);

/** `wasmactor help serve` in the copy: what it printed, and whether dist/ or src/ ran. */
async function helpServe(env: Record<string, string> = {}): Promise<{ text: string; ran: 'dist' | 'src' }> {
  const log = join(dir, 'imports.log');
  await writeFile(log, '');
  const { stdout } = await exec(
    process.execPath,
    ['--import', recorder, join(copy, 'bin', 'wasmactor.js'), 'help', 'serve'],
    { env: { ...process.env, WASMACTOR_IMPORT_LOG: log, WASMACTOR_FROM_SOURCES: '', ...env } },
  );
  const urls = (await readFile(log, 'utf8')).split('\n');
  const dist = urls.some((u) => u.endsWith(`${copy}/dist/cli.js`));
  const src = urls.some((u) => u.endsWith(`${copy}/src/cli.ts`));
  expect(dist !== src, `exactly one of dist/ and src/ ran: ${urls.join(' ')}`).toBe(true);
  return { text: stdout, ran: dist ? 'dist' : 'src' };
}

/** Rewrites `file` in the copy with `change` applied, keeping its size and modification time. */
async function editInPlace(file: string, change: (text: string) => string): Promise<void> {
  const before = await stat(file);
  const text = change(await readFile(file, 'utf8'));
  expect(Buffer.byteLength(text)).toBe(before.size);
  await writeFile(file, text);
  await utimes(file, before.atime, before.mtime);
}

describe('a checkout with dist/', () => {
  it('runs src/ when there is no dist/, and dist/ once it is built', async () => {
    expect((await helpServe()).ran).toBe('src');
    await build();
    expect(distIsCurrent(copy)).toBe(true);
    expect((await helpServe()).ran).toBe('dist');
    expect((await helpServe({ WASMACTOR_FROM_SOURCES: '1' })).ran).toBe('src');
  }, 120_000);

  it('runs the sources after an edit that keeps the size and the modification time, until rebuilt', async () => {
    const serve = join(copy, 'src', 'mcp', 'commands', 'serveCommand.ts');
    await editInPlace(serve, (text) => text.replace('Usage: wasmactor serve', 'Usage: WASMACTOR serve'));
    const stale = await helpServe();
    expect(stale.ran).toBe('src');
    expect(stale.text).toMatch(/^Usage: WASMACTOR serve/);
    await build('--if-stale');
    const rebuilt = await helpServe();
    expect(rebuilt.ran).toBe('dist');
    expect(rebuilt.text).toMatch(/^Usage: WASMACTOR serve/);
  }, 120_000);

  it('runs the sources when a file of src/ is added or removed, or the build settings change', async () => {
    const extra = join(copy, 'src', 'extra.ts');
    await writeFile(extra, 'export {};\n');
    expect((await helpServe()).ran).toBe('src');
    await rm(extra);
    expect((await helpServe()).ran).toBe('dist');
    const tsconfig = join(copy, 'tsconfig.json');
    const settings = await readFile(tsconfig, 'utf8');
    await writeFile(tsconfig, `${settings}\n`);
    expect((await helpServe()).ran).toBe('src');
    await writeFile(tsconfig, settings);
    expect((await helpServe()).ran).toBe('dist');
  }, 120_000);

  it('runs the sources when the stamp is missing or is not a hash of them', async () => {
    const stampFile = join(copy, 'dist', STAMP_FILE);
    const stamp = await readFile(stampFile, 'utf8');
    expect(JSON.parse(stamp)).toEqual({ sources: sourcesHash(copy) });
    await writeFile(stampFile, '{"sources":');
    expect((await helpServe()).ran).toBe('src');
    await rm(stampFile);
    expect((await helpServe()).ran).toBe('src');
    await writeFile(stampFile, stamp);
    expect((await helpServe()).ran).toBe('dist');
  }, 120_000);
});
