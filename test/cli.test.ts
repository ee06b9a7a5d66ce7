import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixturePath } from './helpers/fixtures.ts';
import { runWasmactor } from './mcp/helpers.ts';

let dir: string;

/** `wasmactor ...args` in a child process, with the repo's transpile cache (shared with the other e2e tests). */
const run = (...args: string[]) => runWasmactor(args);

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'wasmactor-cli-'));
  await writeFile(join(dir, 'hello.txt'), 'hello from the host');
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('wasmactor tools', () => {
  it('prints every tool with its schemas as JSON, named per the naming rule', async () => {
    const { code, stdout } = await run('tools', fixturePath('versioned'));
    expect(code).toBe(0);
    const tools = JSON.parse(stdout) as { name: string; inputSchema: unknown; outputSchema: unknown }[];
    expect(tools.map((t) => t.name).sort()).toEqual([
      'hello',
      'local_calc_math_1_2_0_add',
      'local_other_echo_echo',
    ]);
    expect(tools.find((t) => t.name === 'local_calc_math_1_2_0_add')?.inputSchema).toMatchObject({
      properties: { a: { type: 'integer' }, b: { type: 'integer' } },
      required: ['a', 'b'],
    });
  });

  it('exits non-zero with a clear message for a file that is not a component', async () => {
    const path = join(dir, 'not.wasm');
    await writeFile(path, 'plain text');
    const { code, stdout, stderr } = await run('tools', path);
    expect(code).not.toBe(0);
    expect(stdout).toBe('');
    expect(stderr).toContain('not-wasm');
  });
});

describe('wasmactor call', () => {
  it('prints the result as JSON', async () => {
    const { code, stdout } = await run('call', fixturePath('counter'), 'add', '--args', '{"n": 41}');
    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toMatchObject({ result: 41 });
  });

  it('gives the guest only the directories and variables that the flags give', async () => {
    const read = await run(
      'call',
      fixturePath('wasi-probe'),
      'read-file',
      '--args',
      '{"path": "/data/hello.txt"}',
      '--dir',
      `${dir}::/data:ro`,
    );
    expect(JSON.parse(read.stdout)).toMatchObject({ result: { ok: 'hello from the host' } });
    const write = await run(
      'call',
      fixturePath('wasi-probe'),
      'write-file',
      '--args',
      '{"path": "/data/new.txt", "contents": "x"}',
      '--dir',
      `${dir}::/data:ro`,
    );
    expect(write.code).toBe(1);
    expect(JSON.parse(write.stdout).error.err).toMatch(/read-only|not-permitted|access/);
    const env = await run('call', fixturePath('wasi-probe'), 'get-env', '--args', '{"key": "HOME"}');
    expect(JSON.parse(env.stdout)).toMatchObject({ result: null });
    const given = await run(
      'call',
      fixturePath('wasi-probe'),
      'get-env',
      '--args',
      '{"key":"A"}',
      '--env',
      'A=b',
    );
    expect(JSON.parse(given.stdout)).toMatchObject({ result: 'b' });
  });

  it('keeps guest stdout off its own stdout stream except inside the JSON', async () => {
    const { stdout, stderr } = await run(
      'call',
      fixturePath('wasi-probe'),
      'print',
      '--args',
      '{"out":"OUT","err":"ERR"}',
    );
    expect(JSON.parse(stdout)).toMatchObject({ result: null, stdout: 'OUT' });
    expect(stderr).toContain('ERR');
  });

  it('exits non-zero and names the argument for a bad argument', async () => {
    const { code, stderr, stdout } = await run('call', fixturePath('counter'), 'add', '--args', '{"n": "x"}');
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toMatch(/argument "n"/);
  });

  it('stops a call at --timeout', async () => {
    const { code, stderr } = await run('call', fixturePath('loop'), 'spin', '--timeout', '200');
    expect(code).toBe(1);
    expect(stderr).toContain('timed out after 200 ms');
  });
});

describe('wasmactor (errors of any command)', () => {
  it('answers a refused argument of a command with its message, naming the command, exit code 2', async () => {
    const { code, stdout, stderr } = await run(
      'component',
      'load',
      'https://example.com/a.wasm',
      '--component-dir',
      dir,
    );
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toBe(
      'wasmactor component load: path takes a local file, not https://: load https:// and oci:// components with load-component (or a manifest), or download the .wasm file and give its path\n',
    );
  });
});

describe('wasmactor component (a directory it cannot use)', () => {
  it('names the directory and the flag that picks another, exit code 1', async () => {
    const file = join(dir, 'hello.txt');
    const { code, stderr } = await run('component', 'list', '--component-dir', file);
    expect(code).toBe(1);
    expect(stderr).toMatch(
      new RegExp(
        `^wasmactor component list: cannot use ${file} as the component directory \\(.*\\); give another with --component-dir\\n$`,
      ),
    );
  });
});
