/**
 * The CLI commands in one process: they read and write only the streams of their `CommandIo` (never the
 * process's own), and share one prologue (help, bad flags, log level) with messages that name the command.
 */
import { PassThrough } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { type CommandIo, commands } from '../../src/mcp/index.ts';
import { tempDir } from './helpers.ts';

let dir: string;
let cleanup: () => Promise<void>;
let io: CommandIo & { written: () => { stdout: string; stderr: string } };
let processWrites: string[];

function memoryIo(stdinText = '') {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (chunk: Buffer) => {
    out += chunk.toString();
  });
  stderr.on('data', (chunk: Buffer) => {
    err += chunk.toString();
  });
  const stdin = new PassThrough();
  stdin.end(stdinText);
  return { stdin, stdout, stderr, written: () => ({ stdout: out, stderr: err }) };
}

async function run(name: string, ...args: string[]): Promise<number> {
  const command = commands[name];
  if (!command) throw new Error(`no command ${name}`);
  const code = await command(args, io);
  await new Promise((r) => setImmediate(r));
  return code;
}

beforeEach(async () => {
  ({ dir, cleanup } = await tempDir());
  io = memoryIo();
  processWrites = [];
  const record = (chunk: unknown) => {
    processWrites.push(String(chunk));
    return true;
  };
  vi.spyOn(process.stdout, 'write').mockImplementation(record);
  vi.spyOn(process.stderr, 'write').mockImplementation(record);
});

afterEach(async () => {
  vi.restoreAllMocks();
  await cleanup();
});

describe('the commands write through their CommandIo', () => {
  it('component list answers on its stdout', async () => {
    expect(await run('component', 'list', '--component-dir', dir)).toBe(0);
    expect(io.written()).toEqual({ stdout: `no components in ${dir}\n`, stderr: '' });
    expect(processWrites).toEqual([]);
  });

  it('secret set, list and delete: keys on stdout, a missing key on stderr (exit 1), never a value', async () => {
    const where = ['--secrets-dir', dir];
    expect(await run('secret', 'set', 'probe', 'B=2', 'A=secret-one', ...where)).toBe(0);
    expect(await run('secret', 'list', 'probe', ...where)).toBe(0);
    expect(await run('secret', 'delete', 'probe', 'A', 'C', ...where)).toBe(1);
    const { stdout, stderr } = io.written();
    expect(stdout).toBe('set A, B for probe\nA\nB\ndeleted A for probe\n');
    expect(stderr).toBe('wasmactor secret: probe has no secret C\n');
    expect(stdout + stderr).not.toContain('secret-one');
    expect(processWrites).toEqual([]);
  });

  it('secret set KEY reads the value from its stdin', async () => {
    io = memoryIo('from-stdin\n');
    expect(await run('secret', 'set', 'probe', 'K', '--secrets-dir', dir)).toBe(0);
    io = memoryIo();
    expect(await run('secret', 'list', 'probe', '--secrets-dir', dir)).toBe(0);
    expect(io.written().stdout).toBe('K\n');
  });
});

describe('the shared prologue', () => {
  it.each(['serve', 'component', 'secret', 'tools', 'call'])(
    '%s --help prints its usage on stdout',
    async (name) => {
      expect(await run(name, '--help')).toBe(0);
      expect(io.written().stdout).toMatch(/^Usage: wasmactor /);
      expect(processWrites).toEqual([]);
    },
  );

  it.each(['serve', 'component', 'secret', 'tools', 'call'])(
    '%s refuses an unknown flag and points at its help',
    async (name) => {
      expect(await run(name, '--no-such-flag')).toBe(2);
      expect(io.written().stderr).toMatch(
        new RegExp(`^wasmactor ${name}: .*--no-such-flag.* \\(see: wasmactor ${name} --help\\)\\n$`),
      );
      expect(io.written().stdout).toBe('');
      expect(processWrites).toEqual([]);
    },
  );

  it.each(['serve', 'tools', 'call'])('%s refuses an unknown --log-level', async (name) => {
    expect(await run(name, '--log-level', 'loud')).toBe(2);
    expect(io.written().stderr).toBe(
      `wasmactor ${name}: --log-level must be one of debug, info, warn, error, silent\n`,
    );
  });

  it('serve refuses a bad --inspect port and a stray argument on its stderr', async () => {
    expect(await run('serve', '--inspect=99999')).toBe(2);
    expect(await run('serve', 'extra', '--component-dir', dir)).toBe(2);
    expect(io.written().stderr).toMatch(
      /^wasmactor serve: .*99999.*\nwasmactor serve: unexpected argument "extra"/,
    );
    expect(processWrites).toEqual([]);
  });
});
