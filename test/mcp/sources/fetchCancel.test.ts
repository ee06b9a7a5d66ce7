/**
 * A download its caller cancels closes its connection at once, whether the cancel comes while the body
 * streams (stalled mid-body, after a request that finished before), after the server sent headers and part
 * of the body but before the client took the answer (the shape of the rare `remoteLoad.e2e` failure: phase
 * 'request' with the headers already on the wire), or before any answer; and the server logs how far the
 * download got (origin and path only), so that a connection left open could be told from a cancel that
 * never came.
 */
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { fetchBounded } from '../../../src/mcp/sources/fetchBounded.ts';
import { setLogLevel } from '../../../src/runtime/index.ts';
import { mcpFailure } from '../../helpers/mcpFailure.ts';

const STALL_AFTER = 96 * 1024;
/** Called by the server right after '/sent-then-cancel' wrote its headers and part of its body. */
let afterSent: (() => void) | undefined;
/** The responses of each path, and whether each was closed before it finished. */
const responses = new Map<string, { closedEarly: boolean }[]>();

const server = createServer((request, response: ServerResponse) => {
  const path = new URL(request.url ?? '/', 'http://x').pathname;
  const seen = { closedEarly: false };
  responses.set(path, [...(responses.get(path) ?? []), seen]);
  let finished = false;
  response.on('finish', () => {
    finished = true;
  });
  response.on('close', () => {
    if (!finished) seen.closedEarly = true;
  });
  if (path === '/ok') {
    response.end('hello');
  } else if (path === '/stall') {
    // 1 MiB announced, 96 KiB sent, then nothing (the connection stays open until the client goes)
    response.writeHead(200, { 'content-length': String(1024 * 1024) });
    for (let sent = 0; sent < STALL_AFTER; sent += 16 * 1024) response.write(Buffer.alloc(16 * 1024));
  } else if (path === '/sent-then-cancel') {
    // the same, then the client's caller cancels in this very turn: the bytes are on the wire, but the
    // client cannot have read them (same process, same event loop), so its request has not resolved yet
    response.writeHead(200, { 'content-length': String(1024 * 1024) });
    for (let sent = 0; sent < STALL_AFTER; sent += 16 * 1024) response.write(Buffer.alloc(16 * 1024));
    afterSent?.();
  }
  // '/silent': no answer at all, not even headers
});
let base = '';

beforeAll(async () => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  setLogLevel('info');
});

afterAll(() => {
  server.closeAllConnections();
  server.close();
});

afterEach(() => {
  vi.restoreAllMocks();
});

/** The log lines written to stderr while `run` runs. */
async function logged(run: () => Promise<void>): Promise<string[]> {
  const lines: string[] = [];
  const write = process.stderr.write.bind(process.stderr);
  const spy = vi.spyOn(process.stderr, 'write').mockImplementation(((chunk: string | Uint8Array) => {
    lines.push(String(chunk));
    return write(chunk);
  }) as typeof process.stderr.write);
  try {
    await run();
  } finally {
    spy.mockRestore();
  }
  return lines;
}

async function until(condition: () => boolean, what: string, ms = 5_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`not within ${ms} ms: ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

const last = (path: string) => responses.get(path)?.at(-1);

describe('a cancelled download', () => {
  it('closes its kept-alive connection at once when cancelled mid-body, every time (30 rounds)', async () => {
    for (let round = 0; round < 30; round++) {
      // a finished request first, so that the stalled one may go on a kept-alive connection
      const ok = await fetchBounded(new URL(`${base}/ok`), { maxBytes: 1024, timeoutMs: 5_000 });
      expect(new TextDecoder().decode(ok.body)).toBe('hello');
      const controller = new AbortController();
      const lines = await logged(async () => {
        const error = await mcpFailure(
          fetchBounded(new URL(`${base}/stall?token=secret`), {
            maxBytes: 10 * 1024 * 1024,
            timeoutMs: 60_000,
            signal: controller.signal,
            onProgress: (received) => {
              if (received >= STALL_AFTER) controller.abort();
            },
          }),
        );
        expect(error.code).toBe('load-cancelled');
        await until(() => last('/stall')?.closedEarly === true, `round ${round}: the server saw it closed`);
      });
      const line = lines.find((l) => l.includes('download cancelled by its caller'));
      expect(line, `round ${round}`).toBeDefined();
      const entry = JSON.parse(line as string);
      expect(entry).toMatchObject({
        level: 'info',
        url: `${base}/stall`,
        phase: 'body',
        received: STALL_AFTER,
      });
      expect(line).not.toContain('secret');
    }
  }, 60_000);

  it('closes its connection when cancelled before the answer’s headers, and logs that phase', async () => {
    const controller = new AbortController();
    const lines = await logged(async () => {
      const pending = fetchBounded(new URL(`${base}/silent`), {
        maxBytes: 1024,
        timeoutMs: 60_000,
        signal: controller.signal,
      });
      await until(() => (responses.get('/silent')?.length ?? 0) > 0, 'the request arrived');
      controller.abort();
      expect((await mcpFailure(pending)).code).toBe('load-cancelled');
      await until(() => last('/silent')?.closedEarly === true, 'the server saw it closed');
    });
    const line = lines.find((l) => l.includes('download cancelled by its caller'));
    expect(JSON.parse(line ?? '{}')).toMatchObject({ url: `${base}/silent`, phase: 'request', received: 0 });
  });

  it('closes its connection when cancelled after the headers were sent but before the client took them (30 rounds)', async () => {
    for (let round = 0; round < 30; round++) {
      const controller = new AbortController();
      afterSent = () => controller.abort();
      const lines = await logged(async () => {
        const error = await mcpFailure(
          fetchBounded(new URL(`${base}/sent-then-cancel`), {
            maxBytes: 10 * 1024 * 1024,
            timeoutMs: 60_000,
            signal: controller.signal,
          }),
        );
        expect(error.code).toBe('load-cancelled');
        await until(
          () => last('/sent-then-cancel')?.closedEarly === true,
          `round ${round}: the server saw it closed`,
        );
      });
      afterSent = undefined;
      const line = lines.find((l) => l.includes('download cancelled by its caller'));
      expect(JSON.parse(line ?? '{}'), `round ${round}`).toMatchObject({
        url: `${base}/sent-then-cancel`,
        phase: 'request',
        received: 0,
      });
    }
  }, 60_000);

  it('a timeout mid-body ends the same way, and a body cut short is never returned as complete', async () => {
    const started = Date.now();
    const error = await mcpFailure(
      fetchBounded(new URL(`${base}/stall`), { maxBytes: 10 * 1024 * 1024, timeoutMs: 300 }),
    );
    expect(error.code).toBe('source-timeout');
    expect(Date.now() - started).toBeLessThan(5_000);
    await until(() => last('/stall')?.closedEarly === true, 'the server saw it closed');
  });
});
