/**
 * `wasmactor serve --http` as a process: the refusals of its command line (a non-loopback bind without a
 * token file is refused before anything listens; 0.0.0.0 is only ever bound to check that message, no
 * traffic goes off loopback), the bearer token from `--auth-token-file`, graceful shutdown on SIGTERM
 * (a call in flight still gets its answer, new requests do not get in, the exit code is 0), and the MCP
 * Inspector CLI as an independent client with `--transport http`.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixture, REPO_ROOT, tempDir } from '../mcp/helpers.ts';
import { initializeSession, runServe, spawnHttp } from './helpers.ts';

let dir: string;
let cleanup: () => Promise<void>;
let counterPath: string;

beforeAll(async () => {
  [counterPath] = (await fixture('counter')) as [string];
  const tmp = await tempDir('wasmactor-http-life-');
  dir = tmp.dir;
  cleanup = tmp.cleanup;
}, 60_000);

afterAll(async () => {
  await cleanup?.();
});

describe('the command line of serve --http', () => {
  it('refuses to bind 0.0.0.0 without --auth-token-file, and says so', async () => {
    const { code, stderr } = await runServe(['--http', '0.0.0.0:0', '--component-dir', join(dir, 'refused')]);
    expect(code).not.toBe(0);
    expect(stderr).toContain('refusing to listen on 0.0.0.0');
    expect(stderr).toContain('--auth-token-file');
    expect(stderr).not.toContain('wasmactor listening on');
  });

  it('names the problem of a bad --http, --session-idle, or an HTTP flag without --http', async () => {
    const cases: [string[], RegExp][] = [
      [['--http', 'localhost:99999'], /--http takes \[HOST:\]PORT/],
      [['--http', 'not a port'], /--http takes \[HOST:\]PORT/],
      [['--http', '0', '--session-idle', 'soon'], /--session-idle takes a positive duration/],
      [['--http', '0', '--max-sessions', '0'], /--max-sessions must be a positive integer/],
      [['--http', '0', '--max-body-size', 'lots'], /--max-body-size takes a number of bytes/],
      [['--session-idle', '5m'], /--session-idle only applies with --http/],
      [['--replica-id', 'a.b'], /--replica-id must be 1 to 32 characters/],
    ];
    for (const [args, message] of cases) {
      const { code, stderr } = await runServe([...args, '--component-dir', join(dir, 'bad')]);
      expect(code, args.join(' ')).not.toBe(0);
      expect(stderr, args.join(' ')).toMatch(message);
    }
  });

  it('takes the bearer token from --auth-token-file', async () => {
    const tokenFile = join(dir, 'token');
    const token = 'Zr8dW2mQ5vK9xT1yB4nC7hJ0';
    await writeFile(tokenFile, `${token}\n`, { mode: 0o600 });
    const server = await spawnHttp([
      '--http',
      '127.0.0.1:0',
      '--auth-token-file',
      tokenFile,
      '--component-dir',
      join(dir, 'auth'),
      '--log-level',
      'warn',
    ]);
    try {
      const refused = await initializeSession(server.url);
      expect(refused.status).toBe(401);
      expect(refused.headers.get('www-authenticate')).toMatch(/^Bearer/);
      const client = new Client(
        { name: 'with-token', version: '0' },
        { versionNegotiation: { mode: 'auto' } },
      );
      await client.connect(
        new StreamableHTTPClientTransport(new URL(server.url), {
          requestInit: { headers: { authorization: `Bearer ${token}` } },
        }),
      );
      expect((await client.listTools()).tools.map((t) => t.name)).toContain('load-component');
      await client.close();
    } finally {
      await server.stop();
    }
  });
});

describe('graceful shutdown', () => {
  it('on SIGTERM lets a call in flight finish, keeps new requests out, and exits 0', async () => {
    const server = await spawnHttp([
      '--http',
      '0',
      '--component-dir',
      join(dir, 'shutdown'),
      '--log-level',
      'warn',
    ]);
    const client = new Client({ name: 'shutdown', version: '0' }, { versionNegotiation: { mode: 'auto' } });
    await client.connect(new StreamableHTTPClientTransport(new URL(server.url)));
    const loaded = await client.callTool({
      name: 'load-component',
      arguments: { path: counterPath, stateful: true },
    });
    expect(loaded.isError).toBeFalsy();
    const slow = client.callTool({ name: 'increment-slowly', arguments: { ms: 1500 } });
    await new Promise((r) => setTimeout(r, 400));
    const exited = server.stop('SIGTERM');
    await new Promise((r) => setTimeout(r, 200));
    const late = await initializeSession(server.url).then(
      (res) => res.status,
      () => 'refused',
    );
    expect(late === 'refused' || late === 503).toBe(true);
    expect((await slow).structuredContent).toEqual({ result: 1 });
    expect(await exited).toBe(0);
    await client.close().catch(() => {});
  }, 30_000);
});

const INSPECTOR_DIR = join(REPO_ROOT, 'node_modules', '@modelcontextprotocol', 'inspector');
const INSPECTOR_BIN = join(
  INSPECTOR_DIR,
  (JSON.parse(readFileSync(join(INSPECTOR_DIR, 'package.json'), 'utf8')) as { bin: { inspector: string } })
    .bin.inspector,
);

function inspector(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const proc = spawn(process.execPath, [INSPECTOR_BIN, '--cli', ...args], {
    cwd: dir,
    env: { ...process.env, HOME: dir },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  proc.stdout.on('data', (c: Buffer) => {
    stdout += c.toString('utf8');
  });
  proc.stderr.on('data', (c: Buffer) => {
    stderr += c.toString('utf8');
  });
  return new Promise((resolve) => proc.once('exit', (code) => resolve({ code, stdout, stderr })));
}

describe('the MCP Inspector CLI over --transport http', () => {
  it('lists the tools and calls one', async () => {
    const server = await spawnHttp([
      '--http',
      '0',
      '--echo-tool',
      '--component-dir',
      join(dir, 'inspector'),
      '--log-level',
      'warn',
    ]);
    try {
      const listed = await inspector([server.url, '--transport', 'http', '--method', 'tools/list']);
      expect(listed.code, listed.stderr).toBe(0);
      const names = (JSON.parse(listed.stdout) as { tools: { name: string }[] }).tools.map((t) => t.name);
      expect(names).toEqual(expect.arrayContaining(['load-component', 'list-components', 'echo']));
      const called = await inspector([
        server.url,
        '--transport',
        'http',
        '--method',
        'tools/call',
        '--tool-name',
        'echo',
        '--tool-arg',
        'value=hello',
      ]);
      expect(called.code, called.stderr).toBe(0);
      expect(JSON.parse(called.stdout)).toMatchObject({ structuredContent: { result: 'hello' } });
    } finally {
      await server.stop();
    }
  }, 60_000);
});
