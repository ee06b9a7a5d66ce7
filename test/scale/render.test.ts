/**
 * deploy/nginx/render.mjs: the shipped example is what the script renders, nginx itself accepts both
 * forms (`nginx -t`), and a wrong replica list is refused with a message naming the problem.
 */
import { execFile } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../mcp/helpers.ts';
import { NGINX, REPO_ROOT } from './cluster.ts';

const run = promisify(execFile);
const RENDER = join(REPO_ROOT, 'deploy', 'nginx', 'render.mjs');
const EXAMPLE = ['r1=127.0.0.1:7001', 'r2=127.0.0.1:7002', 'r3=127.0.0.1:7003'];

function render(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return run(process.execPath, [RENDER, ...args]).then(
    ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
    (error: { code: number; stdout: string; stderr: string }) => error,
  );
}

let dir: string;
let cleanup: () => Promise<void>;
beforeAll(async () => {
  ({ dir, cleanup } = await tempDir('wasmactor-render-'));
  await mkdir(join(dir, 'tmp'));
  await mkdir(join(dir, 'logs'));
});
afterAll(() => cleanup?.());

/** `nginx -t` on `file` with PREFIX `dir`; resolves to its output (it reports on stderr). */
async function nginxTest(file: string): Promise<string> {
  const user = process.getuid?.() === 0 ? 'user root;' : '';
  const { stderr } = await run(NGINX, [
    '-t',
    '-p',
    dir,
    '-c',
    file,
    '-e',
    'stderr',
    '-g',
    `pid ${dir}/t.pid; ${user}`,
  ]);
  return stderr;
}

describe('deploy/nginx/render.mjs', () => {
  it('renders the shipped deploy/nginx/wasmactor.conf from its three replicas', async () => {
    const shipped = await readFile(join(REPO_ROOT, 'deploy', 'nginx', 'wasmactor.conf'), 'utf8');
    expect((await render(EXAMPLE)).stdout).toBe(shipped);
  });

  it('nginx accepts the conf.d form (inside http {}) and the standalone form', async () => {
    const snippet = (await render(EXAMPLE)).stdout;
    const wrapped = join(dir, 'wrapped.conf');
    await writeFile(
      wrapped,
      `events {}\nhttp {\n  client_body_temp_path tmp/body;\n  proxy_temp_path tmp/proxy;\n` +
        `  fastcgi_temp_path tmp/fastcgi;\n  uwsgi_temp_path tmp/uwsgi;\n  scgi_temp_path tmp/scgi;\n` +
        `  access_log off;\n${snippet}}\n`,
    );
    expect(await nginxTest(wrapped)).toMatch(/syntax is ok/);
    const standalone = join(dir, 'standalone.conf');
    await writeFile(
      standalone,
      (await render(['--standalone', '--listen', '127.0.0.1:1', ...EXAMPLE])).stdout,
    );
    expect(await nginxTest(standalone)).toMatch(/syntax is ok/);
  });

  it('one map entry and one group per replica; the ids are matched as text, with their dot', async () => {
    const config = (await render(['a_1=10.0.0.1:7000', 'b-2=[::1]:7000'])).stdout;
    expect(config).toContain('~^a_1\\. wasmactor_a_1;');
    expect(config).toContain('~^b-2\\. wasmactor_b-2;');
    expect(config).toContain('upstream wasmactor_b-2 {\n    server [::1]:7000;');
    expect(config.match(/max_fails=1/g)).toHaveLength(2);
  });

  it.each([
    [[], /no replica given/],
    [['r1'], /bad replica "r1": expected ID=HOST:PORT/],
    [['r.1=127.0.0.1:7001'], /bad replica "r\.1=127\.0\.0\.1:7001".*A-Z a-z 0-9 _ -/],
    [['r1=127.0.0.1'], /bad replica address "127\.0\.0\.1" for r1: expected HOST:PORT/],
    [['r1=127.0.0.1:70000'], /bad replica address/],
    [['r1=127.0.0.1:7001', 'r1=127.0.0.1:7002'], /replica id r1 given twice/],
    [['--frobnicate', 'r1=127.0.0.1:7001'], /unknown option --frobnicate/],
    [['--listen'], /--listen needs a value/],
  ])('refuses %j with a message naming the problem (exit code 2)', async (args, message) => {
    const result = await render(args);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(message);
    expect(result.stderr).toMatch(/Usage: node deploy\/nginx\/render\.mjs/);
    expect(result.stdout).toBe('');
  });
});
