/**
 * A plain `wasmactor serve` on stdio loads only what it needs to answer: the HTTP stack (`--http`),
 * fast-check (`check-component`, `wasmactor check`) and the inspector (`--inspect`) are loaded when
 * used, not at start, and the sandbox (preview2-shim) only in the worker threads that run components
 * (issue 15: start-up time), nor yaml (no policy, secrets file or manifest to read). The module URLs the
 * process resolves are recorded by the module hook of test/firstrun/importRecorder.mjs, up to the moment
 * the first tools/list is answered. Both ways a checkout runs: the sources through tsx, and the bundled
 * dist/ that `npm start` builds (where the lazy parts are chunks of their own, loaded on first use).
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { distIsCurrent } from '../scripts/buildStamp.mjs';
import { buildCopy, copyCheckout } from './firstrun/checkoutCopy.ts';

/** The checkout's command; a copy of the checkout's for dist/ (built there, not in the checkout). */
const bin = new URL('../bin/wasmactor.js', import.meta.url).pathname;
let copy: string;
const recorder = new URL('./firstrun/importRecorder.mjs', import.meta.url).pathname;
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'wasmactor-lazy-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

/**
 * Starts `serve extra...` over stdio, from the sources through tsx or (`dist`) from dist/; returns the
 * URLs resolved until its first tools/list answer.
 */
async function loadedUntilToolsList(
  name: string,
  extra: string[] = [],
  from: 'sources' | 'dist' = 'sources',
): Promise<string[]> {
  const log = join(dir, `${name}.log`);
  await writeFile(log, '');
  const child = spawn(
    process.execPath,
    [
      '--import',
      recorder,
      from === 'dist' ? join(copy, 'bin', 'wasmactor.js') : bin,
      'serve',
      '--component-dir',
      join(dir, name, 'components'),
      ...extra,
    ],
    {
      stdio: ['pipe', 'pipe', 'pipe'],
      env: {
        ...process.env,
        WASMACTOR_IMPORT_LOG: log,
        WASMACTOR_FROM_SOURCES: from === 'sources' ? '1' : '',
        XDG_CACHE_HOME: join(dir, name, 'cache'),
        XDG_DATA_HOME: join(dir, name, 'data'),
        XDG_CONFIG_HOME: join(dir, name, 'config'),
      },
    },
  );
  const send = (message: object) => child.stdin.write(`${JSON.stringify(message)}\n`);
  let stderr = '';
  child.stderr.on('data', (chunk) => {
    stderr += chunk;
  });
  const closed = new Promise((done) => child.on('close', done));
  const urls = await new Promise<string[]>((done, failed) => {
    let buffer = '';
    child.on('close', (code) => failed(new Error(`serve exited (${code}) before answering: ${stderr}`)));
    child.stdout.on('data', (chunk) => {
      buffer += chunk;
      const lines = buffer.split('\n');
      buffer = lines.pop() ?? '';
      for (const line of lines) {
        const message = JSON.parse(line) as { id?: number };
        if (message.id === 1) {
          send({ jsonrpc: '2.0', method: 'notifications/initialized' });
          send({ jsonrpc: '2.0', id: 2, method: 'tools/list' });
        } else if (message.id === 2) {
          // read at the answer, before stdin ends: what shutting down loads does not count
          readFile(log, 'utf8').then((text) => done(text.split('\n').filter(Boolean)), failed);
        }
      }
    });
    send({
      jsonrpc: '2.0',
      id: 1,
      method: 'initialize',
      params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'lazy', version: '0' } },
    });
  });
  child.stdin.end();
  await closed;
  return urls;
}

/** Loaded on use only: the packages a stdio `serve` must not load at start. */
const LAZY_PACKAGES = [
  /\/node_modules\/@modelcontextprotocol\/node\//,
  /\/node_modules\/@hono\//,
  /\/node_modules\/hono\//,
  /\/node_modules\/fast-check\//,
  /\/node_modules\/yaml\//,
  // the sandbox runs in the workers; the main thread needs only the host grammar (runtime/network.ts)
  /\/node_modules\/@bytecodealliance\/preview2-shim\//,
];

/** ... and our folders, as the sources have them. */
const LAZY = [
  ...LAZY_PACKAGES,
  /\/src\/mcp\/check\//,
  /\/src\/runtime\/wit\/arbitraries\.ts$/,
  /\/src\/inspector\//,
  /\/src\/runtime\/sandbox\//,
];

/**
 * What a run from dist/ loaded: the packages it imports from node_modules (their URLs), and the modules
 * bundled into the dist/ files it loaded, as the comments esbuild writes above each one name them
 * (`// src/mcp/commands/serveCommand.ts`, `// node_modules/hono/dist/index.js`), so that the same
 * patterns apply to both runs.
 */
async function modulesOfDist(urls: string[]): Promise<string[]> {
  const bundled: string[] = [];
  for (const url of urls.filter((u) => u.startsWith(`file://${copy}/dist/`))) {
    const text = await readFile(new URL(url), 'utf8');
    for (const [, path] of text.matchAll(/^\/\/ (\S+\.[cm]?[jt]s)$/gm)) bundled.push(`${url} <- /${path}`);
  }
  return [...urls, ...bundled];
}

describe('serve on stdio, at start, from the sources', () => {
  it('answers tools/list without loading the HTTP stack, fast-check, the inspector, the sandbox or yaml', async () => {
    const urls = await loadedUntilToolsList('plain');
    // the recorder saw the server load (so the check below can fail)
    expect(urls.some((u) => u.includes('/node_modules/@modelcontextprotocol/server/'))).toBe(true);
    expect(urls.some((u) => u.endsWith('/src/mcp/server/WasmactorServer.ts'))).toBe(true);
    expect(urls.filter((u) => LAZY.some((lazy) => lazy.test(u)))).toEqual([]);
  });

  it('loads the inspector when --inspect asks for it (and still not the HTTP stack or fast-check)', async () => {
    const urls = await loadedUntilToolsList('inspect', ['--inspect', '0']);
    expect(urls.some((u) => u.includes('/src/inspector/'))).toBe(true);
    const others = LAZY.filter((lazy) => !lazy.test('/src/inspector/x.ts'));
    expect(urls.filter((u) => others.some((lazy) => lazy.test(u)))).toEqual([]);
  });
});

describe('serve on stdio, at start, from dist/ (what `npm start` and the published package run)', () => {
  beforeAll(async () => {
    copy = await copyCheckout(join(dir, 'checkout'));
    await buildCopy(copy, '--if-stale'); // what `npm start` does first
    expect(distIsCurrent(copy)).toBe(true);
  }, 120_000);

  it('runs dist/ and loads none of the lazy parts, bundled or not', async () => {
    const urls = await loadedUntilToolsList('dist', [], 'dist');
    // it ran the build, not the sources (so the check below is of dist/ and can fail)
    expect(urls.some((u) => u.endsWith('/dist/mcp/commands/serveCommand.js'))).toBe(true);
    expect(urls.filter((u) => u.includes('/src/'))).toEqual([]);
    const modules = await modulesOfDist(urls);
    expect(modules.some((m) => m.endsWith('/src/mcp/server/WasmactorServer.ts'))).toBe(true);
    expect(modules.some((m) => m.includes('/node_modules/@modelcontextprotocol/server/'))).toBe(true);
    expect(modules.filter((m) => LAZY.some((lazy) => lazy.test(m)))).toEqual([]);
  });

  it('loads the inspector for --inspect (so the check above sees what a lazy chunk holds)', async () => {
    const modules = await modulesOfDist(
      await loadedUntilToolsList('dist-inspect', ['--inspect', '0'], 'dist'),
    );
    expect(modules.some((m) => m.includes('/src/inspector/'))).toBe(true);
    const others = LAZY.filter((lazy) => !lazy.test('/src/inspector/x.ts'));
    expect(modules.filter((m) => others.some((lazy) => lazy.test(m)))).toEqual([]);
  });
});
