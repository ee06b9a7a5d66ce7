/**
 * The command-line habits a user brings: -h/--help on every command and `help <command>`, -V/--version,
 * usage errors in our words on stderr with exit code 2, `serve --env-file` reaching `serve` whichever way
 * the bin is started, and `--help`/`--version` answered without loading the server.
 */
import { execFile, spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixturePath } from './helpers/fixtures.ts';

const bin = new URL('../bin/wasmactor.js', import.meta.url).pathname;
const recorder = new URL('./firstrun/importRecorder.mjs', import.meta.url).pathname;
const commands = ['serve', 'component', 'secret', 'tools', 'call', 'check'];
let dir: string;

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `file args` with stdin at end of file (so `serve` stops at once); never throws. */
function runFile(file: string, args: string[], env: Record<string, string> = {}): Promise<Run> {
  return new Promise((done) => {
    const child = spawn(file, args, {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: {
        ...process.env,
        XDG_CACHE_HOME: join(dir, 'cache'),
        XDG_DATA_HOME: join(dir, 'data'),
        XDG_CONFIG_HOME: join(dir, 'config'),
        ...env,
      },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => {
      stdout += chunk;
    });
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
    });
    child.on('close', (code) => done({ code: code ?? -1, stdout, stderr }));
  });
}

/** `node bin/wasmactor.js args` */
const run = (...args: string[]) => runFile(process.execPath, [bin, ...args]);

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'wasmactor-cliconv-'));
  await writeFile(join(dir, 'values.env'), 'GREETING=hello\n');
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('help', () => {
  it.each(commands)('%s answers -h and --help with its own usage on stdout, exit 0', async (command) => {
    for (const flag of ['-h', '--help']) {
      const { code, stdout, stderr } = await run(command, flag);
      expect(code).toBe(0);
      expect(stdout).toMatch(new RegExp(`^Usage: wasmactor ${command}\\b`));
      expect(stderr).toBe('');
    }
  });

  it('`help <command>` shows that command’s help', async () => {
    const [help, own] = await Promise.all([run('help', 'serve'), run('serve', '--help')]);
    expect(help.code).toBe(0);
    expect(help.stdout).toBe(own.stdout);
    expect(help.stdout).toMatch(/--env-file FILE/);
  });

  it('`help` alone, -h and --help show the commands; an unknown topic is a usage error', async () => {
    for (const args of [['help'], ['-h'], ['--help']]) {
      const { code, stdout } = await run(...args);
      expect(code).toBe(0);
      expect(stdout).toMatch(/wasmactor help <command>/);
    }
    const { code, stdout, stderr } = await run('help', 'nope');
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toMatch(/^wasmactor help: no command "nope" \(the commands: serve, component/);
  });

  it('-h wins over a bad flag next to it', async () => {
    const { code, stdout } = await run('serve', '--bogus', '-h');
    expect(code).toBe(0);
    expect(stdout).toMatch(/^Usage: wasmactor serve/);
  });
});

describe('version', () => {
  it('-V and --version print the package version', async () => {
    const { version } = JSON.parse(await readFile(new URL('../package.json', import.meta.url), 'utf8'));
    for (const flag of ['-V', '--version']) {
      const { code, stdout } = await run(flag);
      expect(code).toBe(0);
      expect(stdout).toBe(`${version}\n`);
    }
  });
});

describe('usage errors', () => {
  it.each([
    [['tools', '--bogus'], 'wasmactor tools: unknown option --bogus (see: wasmactor tools --help)\n'],
    [['call', '-x'], 'wasmactor call: unknown option -x (see: wasmactor call --help)\n'],
    [
      ['serve', '--call-timeout'],
      'wasmactor serve: --call-timeout needs a value (see: wasmactor serve --help)\n',
    ],
    [
      ['serve', '--examples=yes'],
      'wasmactor serve: --examples takes no value (see: wasmactor serve --help)\n',
    ],
    [
      ['component', 'list', '--component-dir', '--json'],
      'wasmactor component: --component-dir needs a value (got the flag --json; write --component-dir=--json if that is the value) (see: wasmactor component --help)\n',
    ],
  ])('%j: our own words on stderr, nothing on stdout, exit 2', async (args, message) => {
    const { code, stdout, stderr } = await run(...args);
    expect({ code, stdout, stderr }).toEqual({ code: 2, stdout: '', stderr: message });
  });

  it('no command and an unknown command are usage errors on stderr', async () => {
    const none = await run();
    expect(none.code).toBe(2);
    expect(none.stdout).toBe('');
    expect(none.stderr).toMatch(/^wasmactor: give a command\n/);
    const unknown = await run('frobnicate');
    expect(unknown).toEqual({
      code: 2,
      stdout: '',
      stderr:
        'wasmactor: unknown command "frobnicate" (the commands: serve, component, secret, tools, call, check; see: wasmactor --help)\n',
    });
  });
});

describe('serve --env-file', () => {
  const serveArgs = () => ['serve', '--component-dir', join(dir, 'components'), '--log-level', 'info'];

  it('reaches serve when the bin runs as an executable (as npm’s bin link and npx run it)', async () => {
    const link = join(dir, 'wasmactor');
    await symlink(bin, link).catch(() => undefined);
    const good = await runFile(link, [...serveArgs(), '--env-file', join(dir, 'values.env')]);
    expect(good.code).toBe(0);
    expect(good.stderr).toMatch(/"availableEnv":\["GREETING"\]/);
    // a missing file is serve's failure (exit 1), not node's (`node: ...: not found`, exit 9)
    const missing = await runFile(link, [...serveArgs(), '--env-file', join(dir, 'missing.env')]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/^wasmactor serve: .*--env-file .*missing\.env/);
  });

  it('reaches serve through `node -- bin` (what npm start runs)', async () => {
    const { code, stderr } = await runFile(process.execPath, [
      '--',
      bin,
      ...serveArgs(),
      '--env-file',
      join(dir, 'missing.env'),
    ]);
    expect(code).toBe(1);
    expect(stderr).toMatch(/^wasmactor serve: /);
  });

  it('--env-from does the same where node itself takes --env-file (`node bin`, npx on Node 20)', async () => {
    const good = await run(...serveArgs(), '--env-from', join(dir, 'values.env'));
    expect(good.code).toBe(0);
    expect(good.stderr).toMatch(/"availableEnv":\["GREETING"\]/);
  });
});

describe('fast --help and --version', () => {
  /** The module URLs `node bin/wasmactor.js args` resolves, recorded by a module hook. */
  async function imported(...args: string[]): Promise<string[]> {
    const log = join(dir, `imports-${args.join('-').replace(/\W/g, '_')}.log`);
    await writeFile(log, '');
    const result = await runFile(process.execPath, ['--import', recorder, bin, ...args], {
      WASMACTOR_IMPORT_LOG: log,
    });
    expect(result.code).toBe(0);
    return (await readFile(log, 'utf8')).split('\n').filter(Boolean);
  }

  it('answers --help and --version without loading tsx or anything in src/ or dist/', async () => {
    for (const flag of ['--help', '--version']) {
      const urls = await imported(flag);
      expect(urls.some((u) => u.endsWith('/bin/wasmactor.js'))).toBe(true);
      expect(urls.filter((u) => /\/(src|dist|node_modules)\//.test(u))).toEqual([]);
    }
  });

  it('the recorder sees the runtime load for a real command (so the check above can fail)', async () => {
    const urls = await imported('tools', fixturePath('counter'));
    // the sources through tsx, or dist/ when it is built from them (bin/wasmactor.js)
    expect(urls.some((u) => u.includes('/src/runtime/') || u.endsWith('/dist/cli.js'))).toBe(true);
  });
});

describe('npm scripts', () => {
  it('npm start runs the bin after `--`, so that `npm start -- --env-file FILE` reaches serve', async () => {
    const pkg = JSON.parse(await readFile(new URL('../package.json', import.meta.url), 'utf8'));
    expect(pkg.scripts.start).toMatch(/^node -- bin\/wasmactor\.js serve/);
    const { stdout } = await promisify(execFile)('head', ['-1', bin]);
    expect(stdout).toBe('#!/usr/bin/env -S node --\n');
  });
});
