/**
 * A 10 MB `list<u8>` argument given as base64 works end to end (issue 15 item 6): a real MCP `Client`
 * over an in-memory transport, a real ComponentHost and the kitchen-sink component, whose `echo-bytes`
 * returns its argument. Before, the base64 check (a regular expression with a repeated group, in the
 * input schema and in the conversion) overflowed the stack above ~7.5 MB.
 */
import type { Client } from '@modelcontextprotocol/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ComponentHost } from '../../src/machines/index.ts';
import { WasmactorServer } from '../../src/mcp/index.ts';
import { createRuntime } from '../../src/runtime/index.ts';
import { connectInProcess, fixture } from '../mcp/helpers.ts';

const MiB = 1024 * 1024;

let server: WasmactorServer;
let client: Client;

beforeAll(async () => {
  const [kitchen] = (await fixture('kitchen-sink')) as [string];
  // The echoed bytes come back as a JSON array (about 4 characters a byte): room for them.
  server = new WasmactorServer({
    host: new ComponentHost({ runtime: createRuntime() }),
    maxResultSize: 128 * MiB,
  });
  client = await connectInProcess(server, 'large-arguments-test');
  await server.loadComponent(kitchen, false);
}, 180_000);

afterAll(async () => {
  await client?.close();
  await server?.close();
});

describe('large list<u8> arguments', () => {
  it('a 10 MB base64 argument reaches the guest and comes back byte for byte', async () => {
    const sent = new Uint8Array(10 * MiB);
    for (let i = 0; i < sent.length; i++) sent[i] = (i * 7 + (i >> 8)) & 0xff;
    const result = await client.callTool({
      name: 'echo-bytes',
      arguments: { v: Buffer.from(sent).toString('base64') },
    });
    expect(result.isError, JSON.stringify(result.content).slice(0, 500)).toBeFalsy();
    const echoed = (result.structuredContent as { result: number[] }).result;
    expect(echoed.length).toBe(sent.length);
    expect(Buffer.compare(Buffer.from(echoed), sent)).toBe(0);
  }, 120_000);

  it('a 10 MB string that is not base64 is refused with a message naming the argument', async () => {
    const good = Buffer.alloc(10 * MiB, 3).toString('base64');
    const call = (v: string) => client.callTool({ name: 'echo-bytes', arguments: { v } });
    // Arguments are validated once, by the runtime's linear check (not the schema's pattern): a
    // character outside the alphabet, and the right alphabet with a length that is not a multiple of 4.
    const refusal =
      'argument \\"v\\": expected an array of bytes or a base64 string, got a string that is not base64';
    for (const bad of [`${good.slice(0, -4)}AA!=`, good.slice(0, -1)]) {
      const result = await call(bad);
      expect(result.isError).toBe(true);
      expect(JSON.stringify(result.content)).toContain(refusal);
    }
  }, 120_000);
});
