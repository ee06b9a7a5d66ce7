/**
 * Logs for people and for programs: JSON lines when stderr is piped, readable lines on a terminal, and
 * `serve` started by hand on a terminal says it waits for an MCP client. The terminal is a real pty
 * (util-linux `script`).
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatLogLine, readableLogs } from '../../src/runtime/log.ts';

const bin = new URL('../../bin/wasmactor.js', import.meta.url).pathname;
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'wasmactor-tty-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

const entry = {
  time: '2026-12-01T12:00:01.234Z',
  level: 'info' as const,
  msg: 'example loaded',
  id: 'notes',
  tools: ['add', 'all'],
  restored: [],
  error: 'two words\nand a line',
  elapsedMs: 12,
};

describe('formatLogLine', () => {
  it('writes one JSON line when not readable', () => {
    expect(JSON.parse(formatLogLine(entry, false))).toEqual(entry);
  });

  it('writes a readable line: clock, level, message, key=value (quoted when it has spaces or newlines)', () => {
    expect(formatLogLine(entry, true)).toBe(
      '12:00:01 info  example loaded id=notes tools=add,all restored=[] error="two words\\nand a line" elapsedMs=12',
    );
  });
});

describe('readableLogs', () => {
  it('follows whether stderr is a terminal, unless WASMACTOR_LOG_FORMAT says json or text', () => {
    expect(readableLogs({ isTTY: true }, undefined)).toBe(true);
    expect(readableLogs({ isTTY: undefined }, undefined)).toBe(false);
    expect(readableLogs({ isTTY: true }, 'json')).toBe(false);
    expect(readableLogs({}, 'text')).toBe(true);
  });
});

/**
 * Runs serve; closes its stdin once it says it is waiting (or after `stdinOpenMs` at most); resolves to
 * what it wrote (stdout and stderr).
 */
function serve(onTerminal: boolean, stdinOpenMs: number): Promise<{ out: string; err: string }> {
  const args = [bin, 'serve', '--component-dir', join(dir, 'components')];
  const env: NodeJS.ProcessEnv = { ...process.env, XDG_CACHE_HOME: join(dir, 'cache') };
  delete env.WASMACTOR_LOG_FORMAT;
  delete env.WASMACTOR_LOG_LEVEL;
  const child = onTerminal
    ? // `script` gives the command a pty as stdin, stdout and stderr; its own output is the terminal's.
      spawn('script', ['-qec', [process.execPath, ...args].map((a) => `'${a}'`).join(' '), '/dev/null'], {
        env,
      })
    : spawn(process.execPath, args, { env });
  let out = '';
  let err = '';
  const stop = setTimeout(() => child.stdin.end(), stdinOpenMs);
  const ended = () => {
    // the last line serve prints until it stops
    if (/waiting for an MCP client/.test(out)) {
      clearTimeout(stop);
      setTimeout(() => child.stdin.end(), 300);
    }
  };
  child.stdout.on('data', (chunk) => {
    out += chunk;
    ended();
  });
  child.stderr.on('data', (chunk) => {
    err += chunk;
    ended();
  });
  return new Promise((done) => child.on('close', () => done({ out, err })));
}

describe('serve', () => {
  it('on a terminal writes readable lines and says it is waiting for an MCP client on stdin', async () => {
    const { out } = await serve(true, 20_000);
    expect(out).toMatch(/^\d\d:\d\d:\d\d info {2}wasmactor serving on stdio componentDir=/m);
    expect(out).toMatch(/^\d\d:\d\d:\d\d info {2}waiting for an MCP client on stdin/m);
    expect(out).not.toMatch(/"level":/);
  }, 30_000);

  it('piped writes JSON lines only, and nothing about waiting', async () => {
    const { out, err } = await serve(false, 0);
    expect(out).toBe('');
    const lines = err.trim().split('\n');
    expect(lines.length).toBeGreaterThan(0);
    for (const line of lines) expect(JSON.parse(line)).toMatchObject({ level: expect.any(String) });
    expect(err).not.toMatch(/waiting for an MCP client/);
  }, 30_000);
});
