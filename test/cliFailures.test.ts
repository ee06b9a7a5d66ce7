/**
 * How every command and subcommand fails when its command line is right but the work cannot be done (a
 * missing file, a directory it cannot use, a registry that cannot be reached, a trap): one line
 * `wasmactor <command> [<action>]: <why>` on stderr naming the full subcommand, nothing on stdout, exit
 * code 1. Exit code 2 stays for a command line that is wrong, also when a lower layer finds it out (a
 * tool that does not exist, an argument of the wrong type, a URL where a file path goes).
 */
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { commandFailed, commandName } from '../src/mcp/commands/index.ts';
import { pushCommand } from '../src/mcp/commands/pushCommand.ts';
import { McpError } from '../src/mcp/McpError.ts';
import { RuntimeError } from '../src/runtime/index.ts';
import { fixturePath } from './helpers/fixtures.ts';

const bin = new URL('../bin/wasmactor.js', import.meta.url).pathname;
let dir: string;
/** A regular file, where the commands expect a directory. */
let file: string;
/** A loopback port nothing listens on. */
let closedPort: number;

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** `node bin/wasmactor.js args` with stdin at end of file and its own XDG directories; never throws. */
function run(...args: string[]): Promise<Run> {
  return new Promise((done) => {
    const child = spawn(process.execPath, [bin, ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: {
        ...process.env,
        XDG_CACHE_HOME: join(dir, 'cache'),
        XDG_DATA_HOME: join(dir, 'data'),
        XDG_CONFIG_HOME: join(dir, 'config'),
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

/** A port that was free a moment ago (listened on, then closed). */
function freePort(): Promise<number> {
  return new Promise((done, failed) => {
    const server = createServer();
    server.once('error', failed);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => done(port));
    });
  });
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'wasmactor-clifail-'));
  file = join(dir, 'a-file');
  await writeFile(file, 'not a directory\n');
  await mkdir(join(dir, 'components'));
  await writeFile(
    join(dir, 'manifest.yaml'),
    `components:\n  - id: gone\n    source: ${join(dir, 'missing.wasm')}\n`,
  );
  closedPort = await freePort();
});
afterAll(() => rm(dir, { recursive: true, force: true }));

const missing = () => join(dir, 'missing.wasm');
const components = () => ['--component-dir', join(dir, 'components')];

describe('a failure that is not a usage error: exit 1, named after the full subcommand', () => {
  // [the command line, the name its message starts with, a part of the message]
  const cases: [string, () => string[], string, RegExp][] = [
    ['tools, a missing file', () => ['tools', missing()], 'tools', /not-found: .*missing\.wasm/],
    ['call, a missing file', () => ['call', missing(), 'add'], 'call', /not-found: .*missing\.wasm/],
    [
      'call, a trap',
      () => ['call', fixturePath('counter'), 'trap'],
      'call',
      /trap: the component trapped in trap/,
    ],
    ['check, a missing file', () => ['check', missing()], 'check', /not-found: .*missing\.wasm/],
    [
      'serve, a component directory that is a file',
      () => ['serve', '--component-dir', file],
      'serve',
      /cannot use .*a-file as the component directory/,
    ],
    [
      'component load, a missing file',
      () => ['component', 'load', missing(), ...components()],
      'component load',
      /not-found: .*missing\.wasm/,
    ],
    [
      'component load, the flags before the action',
      () => ['component', '--component-dir', join(dir, 'components'), '--stateful', 'load', missing()],
      'component load',
      /not-found: .*missing\.wasm/,
    ],
    [
      'component unload, no such component',
      () => ['component', 'unload', 'nope', ...components()],
      'component unload',
      /no component "nope" in /,
    ],
    [
      'component list, a component directory that is a file',
      () => ['component', 'list', '--component-dir', file],
      'component list',
      /cannot use .*a-file as the component directory/,
    ],
    [
      'component push, a missing file',
      () => ['component', 'push', missing(), `oci://127.0.0.1:${closedPort}/a/b:1`],
      'component push',
      /not-found: .*missing\.wasm/,
    ],
    [
      'component push, a registry that cannot be reached',
      () => ['component', 'push', fixturePath('counter'), `oci://127.0.0.1:${closedPort}/a/b:1`],
      'component push',
      /refused \(ECONNREFUSED\)/,
    ],
    [
      'component sync, a component that cannot be read',
      () => ['component', 'sync', '--manifest', join(dir, 'manifest.yaml'), ...components()],
      'component sync',
      /component gone .*missing\.wasm/,
    ],
    [
      'secret set, a secrets directory that is a file',
      () => ['secret', 'set', 'probe', 'A=1', '--secrets-dir', file],
      'secret set',
      /host-error: cannot read the secrets of probe/,
    ],
    [
      'secret list, the flag before the action',
      () => ['secret', '--secrets-dir', file, 'list', 'probe'],
      'secret list',
      /host-error: cannot read the secrets of probe/,
    ],
    [
      'secret delete, a secrets directory that is a file',
      () => ['secret', 'delete', 'probe', 'A', '--secrets-dir', file],
      'secret delete',
      /host-error: cannot read the secrets of probe/,
    ],
  ];

  it.each(cases)('%s', async (_, args, name, message) => {
    const { code, stdout, stderr } = await run(...args());
    expect(stdout).toBe('');
    expect(stderr).toMatch(new RegExp(`^wasmactor ${name}: `));
    expect(stderr).toMatch(message);
    expect(code).toBe(1);
  });

  it('every command and every action of a group is covered above', () => {
    const covered = new Set(cases.map(([, , name]) => name));
    const expected = [
      'tools',
      'call',
      'check',
      'serve',
      ...['load', 'unload', 'list', 'push', 'sync'].map((action) => `component ${action}`),
      ...['set', 'list', 'delete'].map((action) => `secret ${action}`),
    ];
    expect([...covered].sort()).toEqual(expected.sort());
  });
});

describe('a command line that is wrong, found out by a lower layer: exit 2', () => {
  it.each([
    [
      'call, no such tool',
      ['call', fixturePath('counter'), 'nope'],
      'call',
      /unknown-tool: the component has no tool named "nope"/,
    ],
    [
      'call, an argument of the wrong type',
      ['call', fixturePath('counter'), 'add', '--args', '{"n": "x"}'],
      'call',
      /invalid-argument: .*argument "n"/,
    ],
    [
      'component load, a URL where a file goes',
      ['component', 'load', 'https://example.com/a.wasm'],
      'component load',
      /path takes a local file, not https:\/\//,
    ],
  ])('%s', async (_, args, name, message) => {
    const { code, stdout, stderr } = await run(...args);
    expect(stdout).toBe('');
    expect(stderr).toMatch(new RegExp(`^wasmactor ${name}: `));
    expect(stderr).toMatch(message);
    expect(code).toBe(2);
  });
});

describe('commandName and commandFailed', () => {
  it('names the action of a group, skipping flags and their values', () => {
    expect(commandName('serve', ['--http', '0'])).toBe('serve');
    expect(commandName('component', ['push', 'x.wasm'])).toBe('component push');
    expect(commandName('component', ['--component-dir', 'list', 'load', 'x'])).toBe('component load');
    expect(commandName('component', ['--json', 'list'])).toBe('component list');
    expect(commandName('component', ['--', 'unload', 'x'])).toBe('component unload');
    expect(commandName('component', ['frobnicate'])).toBe('component');
    expect(commandName('component', ['--component-dir', 'd'])).toBe('component');
    expect(commandName('secret', ['--secrets-dir', 'set', 'delete', 'c'])).toBe('secret delete');
  });

  it('rethrows what is not a coded error (a bug shows its stack)', () => {
    const io = { stdin: process.stdin, stdout: process.stdout, stderr: { write: () => true } } as never;
    const bug = new TypeError('x is undefined');
    expect(() => commandFailed(io, 'tools', bug)).toThrow(bug);
    expect(commandFailed(io, 'tools', new RuntimeError('host-error', 'disk on fire'))).toBe(1);
    expect(commandFailed(io, 'tools', new McpError('bad-path', 'path is empty'))).toBe(2);
  });
});

describe('component push catches its own failures', () => {
  it('resolves to 1 with the message named `component push`, without the shared handler', async () => {
    let stderr = '';
    const io = {
      stdin: process.stdin,
      stdout: process.stdout,
      stderr: {
        write: (text: string) => {
          stderr += text;
          return true;
        },
      },
    } as never;
    const code = await pushCommand([missing(), `oci://127.0.0.1:${closedPort}/a/b:1`], io);
    expect(code).toBe(1);
    expect(stderr).toMatch(/^wasmactor component push: not-found: .*missing\.wasm/);
  });
});
