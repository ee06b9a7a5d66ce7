/**
 * A call on a per-agent instance (`open-instance`) that the client cancels over MCP
 * (`notifications/cancelled`) is treated as on the component's shared instance: the caller is answered
 * `cancelled` at once; a call still running after the 2 s cancel grace is killed, that instance's state
 * is lost and its next call is served by a fresh instance, long before the call time limit. Other
 * instances and the shared instance keep their state. Real server over stdio, real runaway guests.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixture, resultJson, resultText, type SpawnedServer, spawnServer, tempDir } from './helpers.ts';

let server: SpawnedServer;
let cleanup: () => Promise<void>;
let loopPath: string;
let counterPath: string;

/** Far beyond the test's own time limit: a call that waits for it shows the bug as a timeout. */
const CALL_TIMEOUT_MS = 600_000;

beforeAll(async () => {
  [loopPath, counterPath] = (await fixture('loop', 'counter')) as [string, string];
  const tmp = await tempDir();
  cleanup = tmp.cleanup;
  server = await spawnServer(tmp.dir, ['--call-timeout', String(CALL_TIMEOUT_MS)]);
}, 60_000);

afterAll(async () => {
  await server?.close();
  await cleanup?.();
});

type Result = Awaited<ReturnType<SpawnedServer['client']['callTool']>>;

async function call(name: string, args: Record<string, unknown> = {}): Promise<Result> {
  return server.client.callTool({ name, arguments: args });
}

const value = (r: Result) => (r.structuredContent as { result?: unknown } | undefined)?.result;

async function open(componentId: string): Promise<string> {
  const opened = await call('open-instance', { component_id: componentId });
  expect(opened.isError, resultText(opened)).toBeFalsy();
  return (resultJson(opened) as { instance: string }).instance;
}

/** Starts `name` on the instance, cancels it over MCP after `afterMs`; resolves when the caller has its answer. */
async function cancelled(name: string, args: Record<string, unknown>, afterMs = 300): Promise<number> {
  const controller = new AbortController();
  const running = server.client.callTool({ name, arguments: args }, { signal: controller.signal });
  setTimeout(() => controller.abort('changed my mind'), afterMs);
  const started = Date.now();
  await expect(running).rejects.toThrow();
  return Date.now() - started;
}

describe('a cancelled call on a per-agent instance', () => {
  it('is killed after the grace: the instance serves its next call (a runaway loop)', async () => {
    expect((await call('load-component', { path: loopPath, stateful: true })).isError).toBeFalsy();
    const handle = await open('loop');
    expect(value(await call('ok', { _instance: handle }))).toBe(7);
    expect(await cancelled('spin', { _instance: handle })).toBeLessThan(5_000);
    const started = Date.now();
    const next = await call('ok', { _instance: handle });
    expect(next.isError, resultText(next)).toBeFalsy();
    expect(value(next)).toBe(7);
    // the 2 s grace, then a fresh instance; never the call time limit (600 s)
    expect(Date.now() - started).toBeGreaterThanOrEqual(1_000);
    expect(Date.now() - started).toBeLessThan(20_000);
    // the shared instance was never involved
    expect(value(await call('ok'))).toBe(7);
    await call('close-instance', { instance: handle });
  }, 60_000);

  it('loses only that instance’s state, which the next call starts afresh; others keep theirs', async () => {
    expect((await call('load-component', { path: counterPath, stateful: true })).isError).toBeFalsy();
    const [a, b] = [await open('counter'), await open('counter')];
    expect(value(await call('add', { n: 5, _instance: a }))).toBe(5);
    expect(value(await call('add', { n: 7, _instance: b }))).toBe(7);
    expect(value(await call('add', { n: 3 }))).toBe(3);
    await cancelled('increment-slowly', { ms: CALL_TIMEOUT_MS - 1_000, _instance: a });
    const queued = call('get', { _instance: a });
    expect(value(await call('get', { _instance: b }))).toBe(7);
    const fresh = await queued;
    expect(fresh.isError, resultText(fresh)).toBeFalsy();
    expect(value(fresh)).toBe(0);
    expect(value(await call('get'))).toBe(3);
    expect(value(await call('increment', { _instance: a }))).toBe(1);
  }, 60_000);

  it('lets a cancelled call that ends within the grace finish inside the instance (its effect kept)', async () => {
    const handle = await open('counter');
    expect(value(await call('add', { n: 5, _instance: handle }))).toBe(5);
    await cancelled('increment-slowly', { ms: 800, _instance: handle }, 200);
    expect(value(await call('get', { _instance: handle }))).toBe(6);
  }, 60_000);
});
