/**
 * The stdio transport's writes: every message is one line, in the order sent; a send resolves once
 * stdout took its line, so a full stdout holds the senders back until it drains (backpressure); and a
 * failing stdout rejects the sends still waiting.
 */
import { PassThrough, Writable } from 'node:stream';
import type { JSONRPCMessage } from '@modelcontextprotocol/server';
import { describe, expect, it } from 'vitest';
import { StdioTransport } from '../../src/mcp/stdio/StdioTransport.ts';

/** A stdout whose writes complete only when `release()` is called (a reader that stopped reading). */
function heldStdout(highWaterMark: number) {
  const lines: string[] = [];
  const held: (() => void)[] = [];
  let failWith: Error | undefined;
  const stdout = new Writable({
    highWaterMark,
    write(chunk: Buffer, _encoding, callback) {
      held.push(() => {
        lines.push(chunk.toString('utf8'));
        callback(failWith);
      });
    },
  });
  return {
    stdout,
    lines,
    release() {
      for (const done of held.splice(0)) done();
    },
    fail(error: Error) {
      failWith = error;
      for (const done of held.splice(0)) done();
    },
  };
}

const note = (n: number): JSONRPCMessage => ({
  jsonrpc: '2.0',
  method: 'notifications/message',
  params: { n },
});
const settledYet = async (promise: Promise<unknown>) => {
  let settled = false;
  promise.then(
    () => (settled = true),
    () => (settled = true),
  );
  await new Promise((resolve) => setImmediate(resolve));
  return settled;
};

describe('StdioTransport writes', () => {
  it('resolves a send at once while stdout takes the lines, one line per message, in order', async () => {
    const out = new PassThrough();
    const transport = new StdioTransport(new PassThrough(), out);
    await transport.start();
    await Promise.all([1, 2, 3].map((n) => transport.send(note(n))));
    const text = out.read()?.toString('utf8') as string;
    expect(text.split('\n')).toEqual([...[1, 2, 3].map((n) => JSON.stringify(note(n))), '']);
    await transport.close();
  });

  it('holds the senders back until a full stdout drains, then resolves them all', async () => {
    const out = heldStdout(16);
    const transport = new StdioTransport(new PassThrough(), out.stdout);
    await transport.start();
    const sends = [1, 2, 3].map((n) => transport.send(note(n)));
    for (const send of sends) expect(await settledYet(send)).toBe(false);
    // The first line is being written; the others wait in the stream's buffer.
    while (out.lines.length < 3) {
      out.release();
      await new Promise((resolve) => setImmediate(resolve));
    }
    await Promise.all(sends);
    expect(out.lines).toEqual([1, 2, 3].map((n) => `${JSON.stringify(note(n))}\n`));
    // Drained: the next send is taken at once again.
    const next = transport.send(note(4));
    out.release();
    await next;
    await transport.close();
  });

  it('rejects the sends waiting for a drain when stdout fails', async () => {
    const out = heldStdout(16);
    const errors: Error[] = [];
    const transport = new StdioTransport(new PassThrough(), out.stdout);
    transport.onerror = (error) => errors.push(error);
    await transport.start();
    const sends = [1, 2].map((n) => transport.send(note(n)));
    out.fail(new Error('EPIPE: the client went away'));
    for (const send of sends) await expect(send).rejects.toThrow(/EPIPE/);
    expect(errors.map((e) => e.message)).toEqual(['EPIPE: the client went away']);
  });
});
