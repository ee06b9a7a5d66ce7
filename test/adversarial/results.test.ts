/**
 * Results are capped and sent once (issue 16 item 7), through a real MCP `Client` over an in-memory
 * transport and a real ComponentHost running the kitchen-sink component, whose `echo-string` returns its
 * argument: a value over the cap is refused with `isError` naming the size, the limit and the flag; a
 * value over the no-duplication threshold is in `structuredContent` only; small values are unchanged.
 */
import type { Client } from '@modelcontextprotocol/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ComponentHost } from '../../src/machines/index.ts';
import { OUTPUT_META_KEY, WasmactorServer } from '../../src/mcp/index.ts';
import { createRuntime } from '../../src/runtime/index.ts';
import { connectInProcess, fixture } from '../mcp/helpers.ts';

const KiB = 1024;
/** The caps of this server: small, so that the values that cross them stay small too. */
const MAX = 256 * KiB;
const INLINE = 32 * KiB;

let server: WasmactorServer;
let client: Client;

type Result = Awaited<ReturnType<Client['callTool']>>;
type Text = { type: string; text?: string };

function texts(result: Result): string[] {
  return (result.content as Text[]).map((item) => item.text ?? '');
}

beforeAll(async () => {
  const [kitchen, probe] = (await fixture('kitchen-sink', 'wasi-probe')) as [string, string];
  server = new WasmactorServer({
    host: new ComponentHost({ runtime: createRuntime() }),
    maxResultSize: MAX,
    inlineResultSize: INLINE,
  });
  client = await connectInProcess(server, 'results-test');
  await server.loadComponent(kitchen, false);
  await server.loadComponent(probe, false);
}, 180_000);

afterAll(async () => {
  await client?.close();
  await server?.close();
});

function echo(v: string): Promise<Result> {
  return client.callTool({ name: 'echo-string', arguments: { v } });
}

describe('component results are capped and sent once', () => {
  it('a small value keeps the same JSON in the text item and in structuredContent', async () => {
    const value = 'small "quoted" value\n';
    const result = await echo(value);
    expect(result.isError).toBeFalsy();
    expect(result.structuredContent).toEqual({ result: value });
    expect(texts(result)).toEqual([JSON.stringify(value)]);
  });

  it('a value exactly at the no-duplication threshold is still repeated as text', async () => {
    const value = 'a'.repeat(INLINE - 2); // its JSON adds the two quotes
    const result = await echo(value);
    expect(texts(result)).toEqual([JSON.stringify(value)]);
  });

  it('a value over the threshold is in structuredContent only; the text says where and how big', async () => {
    const value = 'b'.repeat(INLINE - 1);
    const result = await echo(value);
    expect(result.isError).toBeFalsy();
    expect(result.structuredContent).toEqual({ result: value });
    const [text, ...rest] = texts(result);
    expect(rest).toEqual([]);
    expect(text).not.toContain('bbbb');
    expect(text).toContain('structuredContent.result');
    expect(text).toContain(`${INLINE + 1} bytes`);
    expect(text?.length).toBeLessThan(300);
  });

  it('the threshold counts bytes of JSON, not characters: escapes and UTF-8 are measured', async () => {
    // 2 UTF-8 bytes per "é", 2 JSON bytes per newline: 1.5x the threshold in bytes, under it in characters.
    const value = 'é\n'.repeat(Math.ceil(INLINE / 2.5));
    expect(value.length).toBeLessThan(INLINE);
    const result = await echo(value);
    const size = Buffer.byteLength(JSON.stringify(value));
    expect(texts(result)[0]).toContain(`${size} bytes`);
    expect(result.structuredContent).toEqual({ result: value });
  });

  it('a value over the cap is refused with isError naming its size, the limit and the flag', async () => {
    const value = 'c'.repeat(MAX + KiB);
    const result = await echo(value);
    expect(result.isError).toBe(true);
    expect(result.structuredContent).toBeUndefined();
    const [text, ...rest] = texts(result);
    expect(rest).toEqual([]);
    expect(text).not.toContain('cccc');
    expect(text).toContain(`${MAX + KiB + 2} bytes`);
    expect(text).toContain(`${MAX} bytes (256 KiB)`);
    expect(text).toContain('--max-result-size');
    expect(text).toContain('echo-string');
  });

  it('one byte over the cap is refused, the cap itself is not', async () => {
    // The value crosses the no-duplication threshold too: it is sent once.
    const at = await echo('d'.repeat(MAX - 2));
    expect(at.isError).toBeFalsy();
    expect((at.structuredContent as { result: string }).result).toHaveLength(MAX - 2);
    const over = await echo('d'.repeat(MAX - 1));
    expect(over.isError).toBe(true);
    expect(texts(over)[0]).toContain(`${MAX + 1} bytes`);
  });

  it('the cap holds for a value made of many small parts', async () => {
    const v = Array.from({ length: MAX / 8 }, (_, i) => `item-${i}`);
    const result = await client.callTool({ name: 'echo-list', arguments: { v } });
    expect(result.isError).toBe(true);
    expect(texts(result)[0]).toContain('--max-result-size');
  });

  it('a WIT err payload is capped and sent once the same way', async () => {
    const big = await client.callTool({ name: 'echo-result', arguments: { v: 'e'.repeat(MAX), fail: true } });
    expect(big.isError).toBe(true);
    expect(texts(big)[0]).toContain(`over the limit of ${MAX} bytes`);
    const value = 'f'.repeat(INLINE);
    const mid = await client.callTool({ name: 'echo-result', arguments: { v: value, fail: true } });
    expect(mid.isError).toBe(true);
    expect(mid.structuredContent).toEqual({ result: { err: value } });
    expect(texts(mid)[0]).not.toContain('ffff');
    expect(texts(mid)[0]).toContain('structuredContent.result');
  });

  it('the server keeps serving after a refused result', async () => {
    await echo('g'.repeat(2 * MAX));
    const result = await echo('after');
    expect(result.structuredContent).toEqual({ result: 'after' });
  });

  it('guest output is bounded by the sandbox, not sent whole', async () => {
    const big = 'h'.repeat(MAX);
    const result = await client.callTool({ name: 'print', arguments: { out: big, err: big } });
    expect(result.isError).toBeFalsy();
    const output = (result._meta as Record<string, { stdout: string; stderr: string; truncated: boolean }>)[
      OUTPUT_META_KEY
    ];
    expect(output?.truncated).toBe(true);
    expect(output?.stdout.length).toBeLessThanOrEqual(64 * KiB);
    expect(output?.stderr.length).toBeLessThanOrEqual(64 * KiB);
    expect(texts(result).join('').length).toBeLessThan(2 * 64 * KiB + KiB);
  });
});
