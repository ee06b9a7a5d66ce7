/**
 * Per-agent instances through the MCP layer in one process: real `Client`s over in-memory transports,
 * a real ComponentHost running the `counter` fixture (its count lives in a wasm global).
 */
import type { Client } from '@modelcontextprotocol/client';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ComponentHost } from '../../src/machines/index.ts';
import { parseDuration } from '../../src/mcp/http/index.ts';
import { WasmactorServer } from '../../src/mcp/index.ts';
import { replicaIdProblem } from '../../src/mcp/server/index.ts';
import { createRuntime } from '../../src/runtime/index.ts';
import { resetWorkerStats, workerStats } from '../../src/runtime/worker/index.ts';
import { connectInProcess, fixture, resultJson, resultText } from './helpers.ts';

let server: WasmactorServer;
let counter: string;

const connect = () => connectInProcess(server, 'agent');

type Result = Awaited<ReturnType<Client['callTool']>>;
const value = (r: Result) => (r.structuredContent as { result?: unknown } | undefined)?.result;

async function open(client: Client, component = 'counter'): Promise<string> {
  const r = await client.callTool({ name: 'open-instance', arguments: { component_id: component } });
  expect(r.isError, resultText(r)).toBeFalsy();
  const handle = (resultJson(r) as { instance: string }).instance;
  return handle;
}

beforeEach(async () => {
  [counter] = (await fixture('counter')) as [string];
  server = new WasmactorServer({
    host: new ComponentHost({ runtime: createRuntime() }),
    replicaId: 'r7',
  });
});

afterEach(async () => {
  await server.close();
});

describe('per-agent instances over MCP', () => {
  it('declares _instance with x-mcp-header on the tools of a stateful component only', async () => {
    const client = await connect();
    await client.callTool({ name: 'load-component', arguments: { path: counter, stateful: true } });
    const { tools } = await client.listTools();
    const names = tools.map((t) => t.name);
    expect(names).toEqual(expect.arrayContaining(['open-instance', 'close-instance']));
    const increment = tools.find((t) => t.name === 'increment');
    expect(increment?.inputSchema.properties?._instance).toEqual({
      type: 'string',
      description: expect.any(String),
      'x-mcp-header': 'Instance',
    });
    await client.callTool({ name: 'load-component', arguments: { path: counter, stateful: false } });
    const after = (await client.listTools()).tools.find((t) => t.name === 'increment');
    expect(after?.inputSchema.properties?._instance).toBeUndefined();
  });

  it('mints unguessable handles of this replica', async () => {
    const client = await connect();
    await client.callTool({ name: 'load-component', arguments: { path: counter, stateful: true } });
    const handles = [await open(client), await open(client)];
    for (const h of handles) expect(h).toMatch(/^r7\.[A-Za-z0-9_-]{22}$/); // 16 bytes = 128 bits
    expect(handles[0]).not.toBe(handles[1]);
  });

  it('keeps two agents apart under interleaved concurrent calls, and the shared instance apart', async () => {
    const alice = await connect();
    const bob = await connect();
    await alice.callTool({ name: 'load-component', arguments: { path: counter, stateful: true } });
    const a = await open(alice);
    const b = await open(bob);
    await alice.callTool({ name: 'add', arguments: { n: 1000 } }); // the shared instance
    resetWorkerStats();
    const calls: Promise<Result>[] = [];
    for (let i = 0; i < 6; i++) {
      calls.push(alice.callTool({ name: 'increment', arguments: { _instance: a } }));
      calls.push(bob.callTool({ name: 'add', arguments: { n: 10, _instance: b } }));
      calls.push(alice.callTool({ name: 'increment-slowly', arguments: { ms: 5, _instance: a } }));
    }
    const results = await Promise.all(calls);
    for (const r of results) expect(r.isError, resultText(r)).toBeFalsy();
    // Inside the guest an overlap could not show (a worker runs in order): never two requests waiting
    // on one instance's worker at once.
    expect(workerStats().maxPending, 'requests waiting on one worker at once').toBe(1);
    // Each instance served its own calls one at a time, in the order they were sent.
    const aliceValues = results.filter((_, i) => i % 3 !== 1).map(value);
    expect(aliceValues).toEqual(Array.from({ length: 12 }, (_, i) => i + 1));
    expect(results.filter((_, i) => i % 3 === 1).map(value)).toEqual([10, 20, 30, 40, 50, 60]);
    expect(value(await alice.callTool({ name: 'get', arguments: {} }))).toBe(1000);
    expect(value(await bob.callTool({ name: 'get', arguments: { _instance: a } }))).toBe(12);
    const listed = resultJson(await alice.callTool({ name: 'list-components', arguments: {} })) as {
      components: { instances?: number }[];
    };
    expect(listed.components[0]?.instances).toBe(2);
  });

  it('answers foreign, malformed, closed and unknown handles with isError saying which', async () => {
    const client = await connect();
    await client.callTool({ name: 'load-component', arguments: { path: counter, stateful: true } });
    const call = (instance: string) =>
      client.callTool({ name: 'increment', arguments: { _instance: instance } });
    const foreign = await call('r9.AAAAAAAAAAAAAAAAAAAAAA');
    expect(foreign.isError).toBe(true);
    expect(resultText(foreign)).toContain('belongs to server replica "r9"');
    const malformed = await call('nonsense');
    expect(resultText(malformed)).toContain('is not an instance handle');
    const unknown = await call('r7.AAAAAAAAAAAAAAAAAAAAAA');
    expect(unknown.isError).toBe(true);
    expect(resultText(unknown)).toContain('is unknown');
    const handle = await open(client);
    expect(value(await call(handle))).toBe(1);
    const closed = await client.callTool({ name: 'close-instance', arguments: { instance: handle } });
    expect(closed.isError, resultText(closed)).toBeFalsy();
    const after = await call(handle);
    expect(after.isError).toBe(true);
    expect(resultText(after)).toContain('was closed with close-instance');
    const again = await client.callTool({ name: 'close-instance', arguments: { instance: handle } });
    expect(again.isError).toBe(true);
    expect(resultText(again)).toContain('was closed');
    const foreignClose = await client.callTool({
      name: 'close-instance',
      arguments: { instance: 'r9.AAAAAAAAAAAAAAAAAAAAAA' },
    });
    expect(resultText(foreignClose)).toContain('replica "r9"');
    // None of these reached the shared instance.
    expect(value(await client.callTool({ name: 'get', arguments: {} }))).toBe(0);
  });

  it('refuses open-instance on a stateless or unknown component', async () => {
    const client = await connect();
    await client.callTool({ name: 'load-component', arguments: { path: counter } });
    const stateless = await client.callTool({
      name: 'open-instance',
      arguments: { component_id: 'counter' },
    });
    expect(stateless.isError).toBe(true);
    expect(resultText(stateless)).toContain('stateful: true');
    const missing = await client.callTool({ name: 'open-instance', arguments: { component_id: 'nope' } });
    expect(missing.isError).toBe(true);
    expect(resultText(missing)).toContain('No component "nope"');
  });

  it('closes every instance at reload; a trap restarts only its own instance', async () => {
    const client = await connect();
    await client.callTool({ name: 'load-component', arguments: { path: counter, stateful: true } });
    const [a, b] = [await open(client), await open(client)];
    await client.callTool({ name: 'add', arguments: { n: 5, _instance: a } });
    await client.callTool({ name: 'add', arguments: { n: 7, _instance: b } });
    const trapped = await client.callTool({ name: 'trap', arguments: { _instance: a } });
    expect(trapped.isError).toBe(true);
    expect(resultText(trapped)).toContain("this instance's state was lost");
    expect(value(await client.callTool({ name: 'get', arguments: { _instance: a } }))).toBe(0);
    expect(value(await client.callTool({ name: 'get', arguments: { _instance: b } }))).toBe(7);
    await client.callTool({ name: 'load-component', arguments: { path: counter, stateful: true } });
    const gone = await client.callTool({ name: 'get', arguments: { _instance: b } });
    expect(gone.isError).toBe(true);
    expect(resultText(gone)).toContain('was closed when its component was reloaded');
  });

  it('closes the instances a session opened when the session ends, and says so', async () => {
    const client = await connect();
    await client.callTool({ name: 'load-component', arguments: { path: counter, stateful: true } });
    const mine = await server.openInstance('counter', 'session-1');
    const other = await server.openInstance('counter', 'session-2');
    const closedEarly = await server.openInstance('counter', 'session-1');
    await server.closeInstance(closedEarly);
    await server.closeSessionInstances('session-1');
    const gone = await client.callTool({ name: 'get', arguments: { _instance: mine } });
    expect(gone.isError).toBe(true);
    expect(resultText(gone)).toContain('was closed when the session that opened it ended');
    const early = await client.callTool({ name: 'get', arguments: { _instance: closedEarly } });
    expect(resultText(early)).toContain('was closed with close-instance');
    expect(value(await client.callTool({ name: 'increment', arguments: { _instance: other } }))).toBe(1);
  });
});

describe('serve flags of per-agent instances', () => {
  it('reads --instance-idle as ms or with a unit, and refuses anything else', () => {
    const idle = (text: string) => parseDuration('--instance-idle', text);
    expect(idle('1500')).toBe(1_500);
    expect(idle('90s')).toBe(90_000);
    expect(idle('30m')).toBe(1_800_000);
    expect(idle('2h')).toBe(7_200_000);
    expect(idle('250ms')).toBe(250);
    for (const bad of ['', '0', '-5', 'soon', '10 min', '1e3'])
      expect(idle(bad)).toMatch(/^--instance-idle takes/);
  });

  it('accepts a url-safe --replica-id without a dot, and names the rule otherwise', () => {
    expect(replicaIdProblem('r1')).toBeUndefined();
    expect(replicaIdProblem('eu-west_2')).toBeUndefined();
    for (const bad of ['', 'a.b', 'r 1', 'x'.repeat(33), 'é'])
      expect(replicaIdProblem(bad)).toContain('--replica-id');
  });
});
