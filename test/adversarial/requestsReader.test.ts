/**
 * The parts of the stdio transport on their own: the line reader (lines across any chunking, a line
 * over the limit dropped and reported, the next line intact), the top-level id scanner against
 * JSON.parse, the decoding of lines that are not messages, and the handshake gate.
 */

import type { JSONRPCMessage } from '@modelcontextprotocol/server';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeLine } from '../../src/mcp/stdio/decodeLine.ts';
import { InitializeGate } from '../../src/mcp/stdio/InitializeGate.ts';
import { LineReader } from '../../src/mcp/stdio/LineReader.ts';
import { TopLevelIdScanner } from '../../src/mcp/stdio/TopLevelIdScanner.ts';

type Event = { line: string } | { tooLarge: number; id: string | number | undefined };

function read(limit: number, chunks: Buffer[]): Event[] {
  const events: Event[] = [];
  const reader = new LineReader(limit, {
    line: (bytes) => events.push({ line: bytes.toString('utf8') }),
    tooLarge: (bytes, id) => events.push({ tooLarge: bytes, id }),
  });
  for (const chunk of chunks) reader.push(chunk);
  return events;
}

/** Cuts `bytes` at the given (sorted, deduplicated) positions. */
function cut(bytes: Buffer, at: number[]): Buffer[] {
  const points = [...new Set(at.map((p) => p % (bytes.length + 1)))].sort((a, b) => a - b);
  const parts: Buffer[] = [];
  let start = 0;
  for (const p of points) {
    parts.push(bytes.subarray(start, p));
    start = p;
  }
  parts.push(bytes.subarray(start));
  return parts;
}

describe('LineReader', () => {
  it('delivers the same lines however the stream is cut into chunks', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.string({ unit: 'grapheme', maxLength: 40 }).map((s) => s.replaceAll('\n', ' ')),
          {
            maxLength: 8,
          },
        ),
        fc.array(fc.nat(), { maxLength: 12 }),
        (lines, at) => {
          const bytes = Buffer.from(lines.map((l) => `${l}\n`).join(''));
          expect(read(1024, cut(bytes, at))).toEqual(lines.map((line) => ({ line })));
        },
      ),
    );
  });

  it('drops a line over the limit, reports its size and id, and reads the next line intact', () => {
    fc.assert(
      fc.property(fc.integer({ min: 33, max: 300 }), fc.array(fc.nat(), { maxLength: 12 }), (size, at) => {
        const big = `{"jsonrpc":"2.0","id":42,"method":"x","params":{"p":"${'a'.repeat(size)}"}}`;
        const bytes = Buffer.from(`{"id":1}\n${big}\n{"id":2}\n`);
        expect(read(32, cut(bytes, at))).toEqual([
          { line: '{"id":1}' },
          { tooLarge: Buffer.byteLength(big), id: 42 },
          { line: '{"id":2}' },
        ]);
      }),
    );
  });

  it('accepts a line of exactly the limit', () => {
    expect(read(8, [Buffer.from('12345678\n123456789\n')])).toEqual([
      { line: '12345678' },
      { tooLarge: 9, id: undefined },
    ]);
  });
});

describe('TopLevelIdScanner', () => {
  const idArb = fc.oneof(fc.string({ maxLength: 20 }), fc.integer(), fc.constant(null), fc.double());
  it('finds the same top-level id as JSON.parse, whatever surrounds it and however it is chunked', () => {
    fc.assert(
      fc.property(
        fc.dictionary(
          fc.string({ maxLength: 6 }).filter((k) => k !== 'id'),
          fc.jsonValue({ maxDepth: 3 }),
          { maxKeys: 4 },
        ),
        fc.option(idArb, { nil: undefined }),
        fc.nat(),
        fc.array(fc.nat(), { maxLength: 10 }),
        fc.boolean(),
        (members, id, position, at, spaced) => {
          const entries = Object.entries(members);
          if (id !== undefined) entries.splice(position % (entries.length + 1), 0, ['id', id]);
          const text = JSON.stringify(Object.fromEntries(entries), null, spaced ? 1 : undefined);
          const parsed = (JSON.parse(text) as { id?: unknown }).id;
          const expected =
            typeof parsed === 'string' || (typeof parsed === 'number' && Number.isSafeInteger(parsed))
              ? parsed
              : undefined;
          const scanner = new TopLevelIdScanner();
          for (const part of cut(Buffer.from(text), at)) scanner.feed(part);
          expect(scanner.id()).toEqual(expected);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('does not take an id from a nested object or from a string value', () => {
    const scan = (text: string) => {
      const scanner = new TopLevelIdScanner();
      scanner.feed(Buffer.from(text));
      return scanner.id();
    };
    expect(scan('{"params":{"id":5},"x":"\\"id\\":6"}')).toBeUndefined();
    expect(scan('[{"id":5}]')).toBeUndefined();
    expect(scan('{"a":"id","id":"z\\u0041"}')).toBe('zA');
  });
});

describe('decodeLine', () => {
  const decode = (text: string) => decodeLine(Buffer.from(text));

  it('answers a line that is not JSON with -32700 and id null', () => {
    expect(decode('{"jsonrpc":"2.0","id":1,')).toMatchObject({
      kind: 'reply',
      reply: { id: null, error: { code: -32700, message: expect.stringContaining('not valid JSON') } },
    });
  });

  it('answers a badly shaped request with -32600 and its own id', () => {
    for (const [text, id, says] of [
      ['{"jsonrpc":"2.0","id":7,"method":5}', 7, '"method"'],
      ['{"jsonrpc":"1.0","id":"a","method":"ping"}', 'a', '"jsonrpc"'],
      ['{"jsonrpc":"2.0","id":8,"method":"ping","params":"x"}', 8, '"params"'],
      ['{"jsonrpc":"2.0","id":9,"method":"ping","extra":1}', 9, '"extra"'],
      ['{"jsonrpc":"2.0","id":1.5,"method":"ping"}', null, '"id"'],
      ['[{"jsonrpc":"2.0","id":1,"method":"ping"}]', null, 'batches'],
      ['42', null, 'JSON object'],
    ] as const) {
      expect(decode(text), text).toMatchObject({
        kind: 'reply',
        reply: { id, error: { code: -32600, message: expect.stringContaining(says) } },
      });
    }
  });

  it('delivers valid messages and never answers a malformed response or a blank line', () => {
    expect(decode('{"jsonrpc":"2.0","id":1,"method":"ping"}')).toMatchObject({ kind: 'message' });
    expect(decode('{"jsonrpc":"2.0","id":1,"result":{}}\r')).toMatchObject({ kind: 'message' });
    expect(decode('{"jsonrpc":"2.0","id":1,"result":5}').kind).toBe('ignore');
    expect(decode('  \r').kind).toBe('ignore');
  });
});

describe('InitializeGate', () => {
  const request = (id: number, method: string, params?: Record<string, unknown>): JSONRPCMessage => ({
    jsonrpc: '2.0',
    id,
    method,
    ...(params ? { params } : {}),
  });
  const modern = { _meta: { 'io.modelcontextprotocol/protocolVersion': '2026-07-28' } };

  it('refuses a 2025-era request before initialize has been answered, and lets ping through', () => {
    const gate = new InitializeGate();
    expect(gate.check(request(1, 'tools/call'))).toMatchObject({ id: 1, error: { code: -32600 } });
    expect(gate.check(request(2, 'ping'))).toBeUndefined();
    expect(gate.check(request(3, 'initialize'))).toBeUndefined();
    expect(gate.check(request(4, 'tools/call'))).toMatchObject({ id: 4 }); // not answered yet
    gate.sent({ jsonrpc: '2.0', id: 3, result: {} });
    expect(gate.check(request(5, 'tools/call'))).toBeUndefined();
  });

  it('stays closed when initialize fails or only server/discover was answered', () => {
    const gate = new InitializeGate();
    gate.check(request(1, 'initialize'));
    gate.sent({ jsonrpc: '2.0', id: 1, error: { code: -32602, message: 'bad' } });
    gate.check(request(2, 'server/discover', modern));
    gate.sent({ jsonrpc: '2.0', id: 2, result: {} });
    gate.sent({ jsonrpc: '2.0', id: 9, result: {} }); // an answer to nothing that opens
    expect(gate.check(request(3, 'tools/call'))).toMatchObject({ id: 3 });
  });

  it('steps aside once a 2026-07-28 request was answered (the SDK then owns the era)', () => {
    const gate = new InitializeGate();
    expect(gate.check(request(1, 'tools/list', modern))).toBeUndefined();
    gate.sent({ jsonrpc: '2.0', id: 1, result: { tools: [] } });
    expect(gate.check(request(2, 'tools/call'))).toBeUndefined();
  });
});
