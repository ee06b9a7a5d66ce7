/**
 * Installed from npm, it works: the checkout packed as `npm publish` would (`prepack` compiles dist/ and
 * builds the examples) and the tarball installed with its runtime dependencies only (no tsx, TypeScript,
 * esbuild or componentize-js anywhere Node could find them). The installed command answers --version,
 * serves the prebuilt examples to an MCP client over stdio, and runs `tools` and `call`. The tarball
 * holds the command, the compiled JavaScript and the built examples, and none of the sources, tests,
 * fixtures, benchmarks, docs or CI. See installPacked.ts for how it stays offline.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { promisify } from 'node:util';
import { Client } from '@modelcontextprotocol/client';
import { StdioClientTransport } from '@modelcontextprotocol/client/stdio';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type InstalledPackage, packAndInstall } from './installPacked.ts';

const exec = promisify(execFile);
const repoManifest = JSON.parse(await readFile(new URL('../../package.json', import.meta.url), 'utf8')) as {
  version: string;
  devDependencies: Record<string, string>;
};

let dir: string;
let installed: InstalledPackage;
/** The user's environment, with every wasmactor directory in the temp dir. */
let env: Record<string, string>;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'wasmactor-pack-'));
  installed = await packAndInstall(dir);
  env = {
    ...(process.env as Record<string, string>),
    XDG_CACHE_HOME: join(dir, 'home', 'cache'),
    XDG_DATA_HOME: join(dir, 'home', 'data'),
    XDG_CONFIG_HOME: join(dir, 'home', 'config'),
  };
}, 600_000);
afterAll(() => (dir ? rm(dir, { recursive: true, force: true }) : undefined));

/** Runs the installed command (through npm's link, so its shebang runs it) in the temp project. */
const wasmactor = (...args: string[]) =>
  exec(installed.bin, args, { cwd: installed.project, env, maxBuffer: 64 * 1024 * 1024 });

/** Every file under `root`, relative to it. */
async function walk(root: string): Promise<string[]> {
  const entries = await readdir(root, { recursive: true, withFileTypes: true });
  return entries.filter((e) => e.isFile()).map((e) => relative(root, join(e.parentPath, e.name)));
}

/** The directory Node would resolve `name` to from `from` (the nearest node_modules/<name> up the tree). */
function findPackage(from: string, name: string): string | undefined {
  for (let at = from; ; at = dirname(at)) {
    const candidate = join(at, 'node_modules', name, 'package.json');
    if (existsSync(candidate)) return candidate;
    if (dirname(at) === at) return undefined;
  }
}

describe('the packed tarball', () => {
  it('holds the command, the compiled JavaScript with its worker files, and the prebuilt examples', () => {
    const paths = installed.pack.files.map((f) => f.path);
    for (const needed of [
      'package.json',
      'README.md',
      'bin/wasmactor.js',
      'dist/cli.js',
      'dist/mcp/commands/serveCommand.js',
      'dist/runtime/worker/instanceWorker.bundle.js',
      'dist/runtime/prepare/transpileWorker.mjs',
      'examples/examples.json',
      'examples/build/notes.wasm',
      'examples/build/files.wasm',
    ]) {
      expect(paths).toContain(needed);
    }
  });

  it('leaves out the TypeScript sources, tests, fixtures, bench, docs, scripts, CI and configs', () => {
    const unwanted = installed.pack.files
      .map((f) => f.path)
      .filter(
        (p) =>
          /^(src|test|property-tests|fixtures|bench|docs|scripts|\.ci)\//.test(p) ||
          /^(vitest\.config|biome|tsconfig|package-lock)/.test(p) ||
          /\.(ts|wat|key|png)$/.test(p) ||
          p === 'examples/build.ts',
      );
    expect(unwanted).toEqual([]);
  });
});

describe('installed from the tarball', () => {
  it('is the tarball as packed, and no dev dependency is within reach of it', async () => {
    expect((await walk(installed.packageDir)).sort()).toEqual(installed.pack.files.map((f) => f.path).sort());
    const buildTools = ['tsx', 'typescript', 'esbuild', '@bytecodealliance/componentize-js', 'vitest'];
    const devOnly = [...new Set([...buildTools, ...Object.keys(repoManifest.devDependencies)])];
    const reachable = devOnly.filter((name) => findPackage(join(installed.packageDir, 'dist'), name));
    expect(reachable).toEqual([]);
  });

  it('answers --version', async () => {
    const { stdout } = await wasmactor('--version');
    expect(stdout).toBe(`${repoManifest.version}\n`);
  });

  it('hands `serve --env-file` to serve, not to node (the bin runs `node --` through its shebang)', async () => {
    const missing = join(dir, 'missing.env');
    const failed = (await wasmactor('serve', '--env-file', missing).catch((error: unknown) => error)) as {
      code: number;
      stderr: string;
    };
    expect(failed.code).toBe(1);
    expect(failed.stderr).toMatch(/^wasmactor serve: .*--env-file/);
  });

  it('serves the prebuilt examples over stdio: the first tools/list has their tools, and they answer', async () => {
    const transport = new StdioClientTransport({
      command: installed.bin,
      args: ['serve', '--examples', '--component-dir', join(dir, 'components'), '--log-level', 'info'],
      cwd: installed.project,
      env,
      stderr: 'pipe',
    });
    let stderr = '';
    transport.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString('utf8');
    });
    const client = new Client({ name: 'wasmactor-pack-test', version: '0.0.0' });
    try {
      await client.connect(transport);
      const { tools } = await client.listTools();
      expect(tools.map((t) => t.name)).toEqual(
        expect.arrayContaining(['add', 'all', 'search', 'get-env', 'read-text', 'shout', 'load-component']),
      );
      // A stateful instance (a worker that lives on) and a stateless call (a fresh worker).
      expect((await client.callTool({ name: 'add', arguments: { text: 'milk' } })).structuredContent).toEqual(
        {
          result: 1,
        },
      );
      expect((await client.callTool({ name: 'all', arguments: {} })).structuredContent).toEqual({
        result: ['milk'],
      });
      const shout = await client.callTool({ name: 'shout', arguments: { text: 'hi' } });
      expect(shout.structuredContent).toEqual({ result: 3 });
      expect(shout._meta?.['wasmactor/output']).toMatchObject({ stdout: 'HI!\n' });
      expect(stderr).toMatch(/examples: using the prebuilt components/);
      expect(stderr).not.toMatch(/"level":"(warn|error)"/);
    } finally {
      await client.close();
    }
  }, 120_000);

  it('runs `tools` and `call` on a component file', async () => {
    const files = join(installed.packageDir, 'examples', 'build', 'files.wasm');
    const listed = JSON.parse((await wasmactor('tools', files)).stdout) as { name: string }[];
    expect(listed.map((t) => t.name)).toEqual(['get-env', 'roots', 'list-dir', 'read-text', 'shout']);
    const called = await wasmactor(
      'call',
      files,
      'get-env',
      '--args',
      '{"key":"GREETING"}',
      '--env',
      'GREETING=hi',
    );
    expect(JSON.parse(called.stdout)).toEqual({ result: 'hi', stdout: '' });
  }, 120_000);
});
