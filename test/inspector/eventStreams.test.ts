/**
 * `/api/events` under clients that misbehave: one that stops reading, too many at once, and one that
 * connects between a change and the push that reports it.
 */
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { InspectionEvent } from 'xstate';
import {
  createInspector,
  type InspectorSnapshot,
  type LogEntry,
  MAX_EVENT_STREAMS,
  type RunningInspector,
  startInspector,
} from '../../src/inspector/index.ts';
import { ComponentHost } from '../../src/machines/index.ts';
import { createRuntime } from '../../src/runtime/index.ts';
import { fixturePath } from '../helpers/fixtures.ts';

const runtime = createRuntime({ cacheDir: join(tmpdir(), 'wasmactor-test-cache') });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

type Message = { event: string; data: { snapshot: InspectorSnapshot; log: LogEntry[] } };

/** Reads server-sent events from a fetch response. */
function sseReader(res: Response) {
  const reader = (res.body as ReadableStream<Uint8Array>).getReader();
  const decoder = new TextDecoder();
  const messages: Message[] = [];
  let buffer = '';
  return {
    messages,
    async until(check: () => boolean, timeoutMs = 5_000): Promise<void> {
      const deadline = Date.now() + timeoutMs;
      while (!check()) {
        const left = deadline - Date.now();
        if (left <= 0) throw new Error('no such server-sent event in time');
        const next = await Promise.race([reader.read(), sleep(left).then(() => undefined)]);
        if (!next) continue;
        if (next.done) throw new Error('stream ended');
        buffer += decoder.decode(next.value, { stream: true });
        for (let end = buffer.indexOf('\n\n'); end >= 0; end = buffer.indexOf('\n\n')) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const event = /^event: (.*)$/m.exec(block)?.[1];
          const data = /^data: (.*)$/m.exec(block)?.[1];
          if (event && data) messages.push({ event, data: JSON.parse(data) });
        }
      }
    },
  };
}

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function serve(options: { pushIntervalMs?: number; stalledStreamMs?: number; logLimit?: number } = {}) {
  const inspector = createInspector({ logLimit: options.logLimit ?? 500 });
  const host = new ComponentHost({ runtime, inspect: inspector.inspect });
  const web: RunningInspector = await startInspector({ host, inspector, port: 0, ...options });
  cleanups.push(
    () => host.stop(),
    () => web.close(),
  );
  return { inspector, host, web };
}

describe('/api/events', () => {
  it('stops buffering for a client that never reads, and closes its stream', async () => {
    const { inspector, web } = await serve({ pushIntervalMs: 1, stalledStreamMs: 300, logLimit: 2 });
    // Fed by hand: a log entry of ~500 KB per change, so the output outgrows the kernel's socket buffers.
    const big = 'x'.repeat(500_000);
    const change = (i: number) => {
      const actorRef = { id: 'component:big', sessionId: 'fake' };
      inspector.inspect({
        type: '@xstate.event',
        actorRef,
        event: { type: 'CALL', callId: `c${i}`, tool: big },
      } as unknown as InspectionEvent);
      inspector.inspect({
        type: '@xstate.snapshot',
        actorRef: { id: 'host', sessionId: 'h' },
      } as unknown as InspectionEvent);
    };

    // A raw client: sends the request, takes the first chunk, then stops reading.
    const socket: Socket = connect(web.port, '127.0.0.1');
    cleanups.push(() => void socket.destroy());
    let received = 0;
    let ended = false;
    socket.on('close', () => {
      ended = true;
    });
    socket.on('error', () => {});
    await new Promise<void>((resolve) => {
      socket.once('data', (chunk: Buffer) => {
        received += chunk.length;
        socket.pause();
        resolve();
      });
      socket.write(`GET /api/events HTTP/1.1\r\nHost: 127.0.0.1:${web.port}\r\n\r\n`);
    });
    socket.on('data', (chunk: Buffer) => {
      received += chunk.length;
    });

    const changes = 120; // ~60 MB if every push were written
    for (let i = 0; i < changes; i++) {
      change(i);
      await sleep(5);
    }
    await sleep(400);
    change(changes); // a push after the stall time: the stuck stream is destroyed
    await sleep(50);
    socket.resume();
    const deadline = Date.now() + 5_000;
    while (!ended && Date.now() < deadline) await sleep(20);
    expect(ended).toBe(true);
    // What reached the client is what the kernel held plus at most about 1 MiB: far from all pushes.
    expect(received).toBeLessThan((changes * big.length) / 3);
    expect(received).toBeGreaterThan(big.length);
  }, 30_000);

  it(`answers 503 beyond ${MAX_EVENT_STREAMS} open streams, and takes a new one when one closes`, async () => {
    const { web } = await serve();
    const controllers: AbortController[] = [];
    // Held until the end: undici cancels the body of a response that is garbage-collected, which would
    // close its stream and free a slot early.
    const open: Response[] = [];
    cleanups.push(() => {
      for (const c of controllers) c.abort();
    });
    for (let i = 0; i < MAX_EVENT_STREAMS; i++) {
      const controller = new AbortController();
      controllers.push(controller);
      const res = await fetch(`${web.url}api/events`, { signal: controller.signal });
      expect(res.status).toBe(200);
      open.push(res);
    }
    const refused = await fetch(`${web.url}api/events`);
    expect(refused.status).toBe(503);
    expect(((await refused.json()) as { error: string }).error).toMatch(/too many open event streams \(16\)/);
    // other routes still answer
    expect((await fetch(`${web.url}api/snapshot`)).status).toBe(200);

    controllers[0]?.abort();
    let status = 0;
    for (let i = 0; i < 100 && status !== 200; i++) {
      await sleep(20);
      const controller = new AbortController();
      controllers.push(controller);
      status = (await fetch(`${web.url}api/events`, { signal: controller.signal })).status;
    }
    expect(status).toBe(200);
  });

  it('sends a client that connects between a change and the next push no log entry twice', async () => {
    const { host, web } = await serve({ pushIntervalMs: 400 });
    await host.load({ id: 'counter', source: { path: fixturePath('counter') }, stateful: true });
    const first = new AbortController();
    const second = new AbortController();
    cleanups.push(
      () => first.abort(),
      () => second.abort(),
    );
    const a = sseReader(await fetch(`${web.url}api/events`, { signal: first.signal }));
    await a.until(() => a.messages.length > 0);
    await sleep(450); // whatever the load scheduled has been pushed

    await host.call('increment', {}); // schedules a push 400 ms from now
    const b = sseReader(await fetch(`${web.url}api/events`, { signal: second.signal }));
    await b.until(() => b.messages.some((m) => m.event === 'update'));

    const [init] = b.messages;
    expect(init?.event).toBe('init');
    // b connected after the call was logged, and the push it then got was the one the call scheduled
    expect(
      init?.data.log.some((e) => e.kind === 'call' && e.tool === 'increment' && e.outcome === 'ok'),
    ).toBe(true);
    // and every later push sends it only what came after the one before
    const okCalls = () =>
      b.messages
        .filter((m) => m.event === 'update')
        .flatMap((m) => m.data.log)
        .filter((e) => e.kind === 'call' && e.outcome === 'ok').length;
    for (const n of [1, 2]) {
      await host.call('increment', {});
      await b.until(() => okCalls() >= n);
    }
    const seqs = b.messages.flatMap((m) => m.data.log.map((e) => e.seq));
    expect(seqs.length).toBeGreaterThan(0);
    expect(new Set(seqs).size).toBe(seqs.length);
    // the earlier client still gets what came after its own last message
    await a.until(() =>
      a.messages.some((m) => m.data.log.some((e) => e.tool === 'increment' && e.outcome === 'ok')),
    );
    const aSeqs = a.messages.flatMap((m) => m.data.log.map((e) => e.seq));
    expect(new Set(aSeqs).size).toBe(aSeqs.length);
  });
});
