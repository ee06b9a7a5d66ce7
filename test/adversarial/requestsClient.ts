/**
 * A raw JSON-RPC client of the real server over stdio (`node bin/wasmactor.js serve`), for the request
 * tests and bench/requests.bench.ts: it writes bytes, not messages, so it can send what the SDK client
 * never would (broken JSON, wrong shapes, lines of hundreds of MiB streamed in chunks), and it reads
 * stdout line by line. The component directory is a fresh temporary folder.
 */
import { type ChildProcessByStdio, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Readable, Writable } from 'node:stream';

const ROOT = resolve(import.meta.dirname, '../..');
const MiB = 1024 * 1024;

/** One message the server wrote (parsed), or the raw text of a stdout line that is not JSON. */
export type Received = {
  id?: string | number | null;
  method?: string;
  result?: Record<string, unknown>;
  error?: { code: number; message: string };
  raw?: string;
};

export interface RawServer {
  /** The server's component directory. */
  componentDir: string;
  /** The server's process id. */
  pid: number;
  /** Every stdout line so far, in order. */
  received: Received[];
  /** Writes one line (a '\n' is added). */
  send(line: string): Promise<void>;
  /** Writes `prefix`, then `fill` bytes of 'a', then `suffix` and '\n', in 1 MiB chunks. */
  sendLarge(prefix: string, fill: number, suffix: string): Promise<void>;
  /** Resolves with the first message (from the start) with this id; rejects after `timeoutMs`. */
  answer(id: string | number | null, timeoutMs?: number): Promise<Received>;
  /** Sends `initialize` and `notifications/initialized` (2025 era). */
  initialize(): Promise<void>;
  stderr(): string;
  /** Resolves with the exit code once the server has exited (without closing it). */
  exited: Promise<number | null>;
  /** Ends stdin and waits for the exit code; deletes the component directory. */
  close(): Promise<number | null>;
}

/** Spawns the server on `root` (default this repository). */
export async function spawnRawServer(root = ROOT): Promise<RawServer> {
  const componentDir = await mkdtemp(join(tmpdir(), 'wasmactor-requests-'));
  const child: ChildProcessByStdio<Writable, Readable, Readable> = spawn(
    process.execPath,
    [join(root, 'bin', 'wasmactor.js'), 'serve', '--component-dir', componentDir, '--log-level', 'warn'],
    {
      cwd: root,
      env: { ...process.env, XDG_CACHE_HOME: join(root, '.cache') },
      stdio: ['pipe', 'pipe', 'pipe'],
    },
  );
  const received: Received[] = [];
  const waiters = new Set<() => void>();
  let stdoutRest = '';
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (text: string) => {
    stdoutRest += text;
    let newline = stdoutRest.indexOf('\n');
    while (newline !== -1) {
      const line = stdoutRest.slice(0, newline);
      stdoutRest = stdoutRest.slice(newline + 1);
      try {
        received.push(JSON.parse(line) as Received);
      } catch {
        received.push({ raw: line });
      }
      newline = stdoutRest.indexOf('\n');
    }
    for (const wake of waiters) wake();
  });
  let stderrText = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (text: string) => {
    if (stderrText.length < MiB) stderrText += text;
  });
  const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
  child.stdin.on('error', () => {}); // the server may exit before reading everything

  const write = (bytes: string | Buffer): Promise<void> =>
    new Promise((done, fail) => {
      if (child.stdin.write(bytes)) done();
      else {
        const onDrain = () => {
          child.off('exit', onExit);
          done();
        };
        const onExit = () => {
          child.stdin.off('drain', onDrain);
          fail(new Error(`server exited while being written to:\n${stderrText}`));
        };
        child.stdin.once('drain', onDrain);
        child.once('exit', onExit);
      }
    });

  const answer = (id: string | number | null, timeoutMs = 60_000): Promise<Received> =>
    new Promise((done, fail) => {
      const find = () => received.find((m) => m.id === id && (m.result !== undefined || m.error));
      const found = find();
      if (found) return done(found);
      const timer = setTimeout(() => {
        waiters.delete(check);
        fail(new Error(`no answer with id ${id} after ${timeoutMs} ms; stderr:\n${stderrText.slice(-4000)}`));
      }, timeoutMs);
      const check = () => {
        const hit = find();
        if (!hit) return;
        clearTimeout(timer);
        waiters.delete(check);
        done(hit);
      };
      waiters.add(check);
    });

  const filler = Buffer.alloc(MiB, 'a');
  const server: RawServer = {
    componentDir,
    pid: child.pid as number,
    received,
    send: (line) => write(`${line}\n`),
    async sendLarge(prefix, fill, suffix) {
      await write(prefix);
      for (let left = fill; left > 0; left -= filler.length)
        await write(left >= filler.length ? filler : filler.subarray(0, left));
      await write(`${suffix}\n`);
    },
    answer,
    async initialize() {
      await server.send(
        JSON.stringify({
          jsonrpc: '2.0',
          id: 'init',
          method: 'initialize',
          params: {
            protocolVersion: '2025-06-18',
            capabilities: {},
            clientInfo: { name: 'wasmactor-requests', version: '0.0.0' },
          },
        }),
      );
      const reply = await answer('init');
      if (!reply.result) throw new Error(`initialize failed: ${JSON.stringify(reply)}`);
      await server.send(JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }));
    },
    stderr: () => stderrText,
    exited,
    async close() {
      child.stdin.end();
      const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
      const code = await exited;
      clearTimeout(timer);
      await rm(componentDir, { recursive: true, force: true });
      return code;
    },
  };
  return server;
}
