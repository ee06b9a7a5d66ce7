/**
 * Requests over real stdio (issue 16, item 8): the server spawned as a child process gets raw bytes and
 * every request with an id is answered — a line that is not JSON (-32700, id null), a request of the
 * wrong shape (-32600 with its id), a line over the 256 MiB limit (-32600, then the next request is
 * served), a 50 MiB request read whole, and nothing runs before `initialize` in the 2025 era. Large lines
 * are streamed in 1 MiB chunks, so this process never holds them. Timing is in bench/requests.bench.ts.
 */
import { readdir } from 'node:fs/promises';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixture } from '../mcp/helpers.ts';
import { type RawServer, spawnRawServer } from './requestsClient.ts';

const MiB = 1024 * 1024;
const LIMIT = 256 * MiB;

const ping = (id: string | number) => JSON.stringify({ jsonrpc: '2.0', id, method: 'ping' });
const loadCall = (id: string | number, path: string) =>
  JSON.stringify({
    jsonrpc: '2.0',
    id,
    method: 'tools/call',
    params: { name: 'load-component', arguments: { path } },
  });

describe('requests over stdio after the handshake', () => {
  let server: RawServer;
  beforeAll(async () => {
    server = await spawnRawServer();
    await server.initialize();
  }, 60_000);
  afterAll(async () => {
    await server?.close();
  });

  it('answers a line that is not JSON with a -32700 parse error (id null) and keeps serving', async () => {
    await server.send('{"jsonrpc":"2.0","id":"lost", "method": ');
    await server.send(ping('p1'));
    expect((await server.answer('p1')).result).toEqual({});
    const parseErrors = server.received.filter((m) => m.error?.code === -32700);
    expect(parseErrors).toHaveLength(1);
    expect(parseErrors[0]).toMatchObject({ id: null, error: { message: expect.stringContaining('JSON') } });
  });

  it('answers every badly shaped request that has an id with an error carrying that id', async () => {
    const bad: [string, string][] = [
      ['m-number', '{"jsonrpc":"2.0","id":"m-number","method":5}'],
      ['no-method', '{"jsonrpc":"2.0","id":"no-method"}'],
      ['old-version', '{"jsonrpc":"1.0","id":"old-version","method":"ping"}'],
      ['params-string', '{"jsonrpc":"2.0","id":"params-string","method":"ping","params":"x"}'],
      ['extra', '{"jsonrpc":"2.0","id":"extra","method":"ping","extra":true}'],
    ];
    for (const [, line] of bad) await server.send(line);
    await server.send('{"jsonrpc":"2.0","id":2001,"method":"tools/call","params":[]}');
    for (const [id] of bad) {
      expect(await server.answer(id), id).toMatchObject({ error: { code: -32600 } });
    }
    expect((await server.answer(2001)).error?.code).toBeLessThan(0);
  });

  it('reads a 10 MiB and a 50 MiB request line whole and answers each', async () => {
    for (const [id, size] of [
      ['ten', 10 * MiB],
      ['fifty', 50 * MiB],
    ] as const) {
      const prefix = `{"jsonrpc":"2.0","id":"${id}","method":"ping","params":{"_meta":{"pad":"`;
      await server.sendLarge(prefix, size, '"}}}');
      expect(await server.answer(id)).toMatchObject({ result: {} });
    }
  });

  it('answers a line over the limit with an error naming the limit, then serves the next request', async () => {
    const prefix =
      '{"jsonrpc":"2.0","id":"huge","method":"tools/call","params":{"name":"echo","arguments":{"v":"';
    await server.sendLarge(prefix, LIMIT + MiB, '"}}}');
    await server.send(ping('after-huge'));
    const answer = await server.answer('huge', 120_000);
    expect(answer.error).toMatchObject({ code: -32600, message: expect.stringContaining('256 MiB') });
    expect((await server.answer('after-huge')).result).toEqual({});
  }, 180_000);

  it('answers an over-long line whose id comes after the bulk with that id', async () => {
    const prefix = '{"jsonrpc":"2.0","method":"ping","params":{"_meta":{"pad":"';
    await server.sendLarge(prefix, LIMIT, '"}},"id":"late-id"}');
    expect((await server.answer('late-id', 120_000)).error?.code).toBe(-32600);
  }, 180_000);
});

describe('the 2025 era: nothing before initialize', () => {
  it('refuses a load-component sent before initialize and persists nothing; the same call works after', async () => {
    const [counterPath] = (await fixture('counter')) as [string];
    const server = await spawnRawServer();
    try {
      await server.send(loadCall('early', counterPath));
      await server.send(ping('early-ping'));
      const refused = await server.answer('early');
      expect(refused.error).toMatchObject({ code: -32600, message: expect.stringContaining('initialize') });
      expect((await server.answer('early-ping')).result).toEqual({});
      expect(await readdir(server.componentDir)).toEqual([]);

      await server.initialize();
      await server.send(loadCall('late', counterPath));
      const loaded = (await server.answer('late')).result;
      expect(loaded?.isError).toBeFalsy();
      expect(loaded?.structuredContent).toMatchObject({ status: 'component loaded', id: 'counter' });
      expect(await readdir(server.componentDir)).toEqual(['counter']);
    } finally {
      await server.close();
    }
  }, 60_000);

  it('refuses a 2025-era load after a 2026-07-28 server/discover (no fallback that skips initialize)', async () => {
    const [counterPath] = (await fixture('counter')) as [string];
    const server = await spawnRawServer();
    try {
      const envelope = {
        'io.modelcontextprotocol/protocolVersion': '2026-07-28',
        'io.modelcontextprotocol/clientInfo': { name: 'raw', version: '0' },
        'io.modelcontextprotocol/clientCapabilities': {},
      };
      await server.send(
        JSON.stringify({
          jsonrpc: '2.0',
          id: 'discover',
          method: 'server/discover',
          params: { _meta: envelope },
        }),
      );
      expect((await server.answer('discover')).result).toBeDefined();
      await server.send(loadCall('claimless', counterPath));
      expect((await server.answer('claimless')).error?.code).toBe(-32600);
      expect(await readdir(server.componentDir)).toEqual([]);
    } finally {
      await server.close();
    }
  }, 60_000);
});

describe('every request with an id is answered', () => {
  it('answers 300 random requests and near-requests, each with its own id', async () => {
    const server = await spawnRawServer();
    try {
      await server.initialize();
      const methods = [
        'ping',
        'tools/list',
        'tools/call',
        'resources/list',
        'prompts/get',
        'logging/setLevel',
        'completion/complete',
        'initialize',
        'no/such-method',
      ];
      const tools = ['list-components', 'get-policy', 'unload-component', 'grant-network-permission', 'nope'];
      const message = fc.record(
        {
          jsonrpc: fc.oneof(fc.constant('2.0'), fc.constant('2.0'), fc.constant('1.0')),
          method: fc.oneof(fc.constantFrom(...methods), fc.integer()),
          params: fc.oneof(
            fc.record({ name: fc.constantFrom(...tools), arguments: fc.jsonValue({ maxDepth: 2 }) }),
            fc.jsonValue({ maxDepth: 2 }),
          ),
          extra: fc.jsonValue({ maxDepth: 1 }),
        },
        { requiredKeys: ['jsonrpc', 'method'] },
      );
      const sample = fc.sample(message, { numRuns: 300, seed: 16 });
      const ids = sample.map((_, i) => 10_000 + i);
      for (const [i, m] of sample.entries()) await server.send(JSON.stringify({ ...m, id: ids[i] }));
      const answers = await Promise.all(ids.map((id) => server.answer(id, 60_000)));
      expect(answers.map((a) => a.id)).toEqual(ids);
    } finally {
      await server.close();
    }
  }, 120_000);
});
