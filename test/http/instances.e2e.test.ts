/**
 * Per-agent instances over real HTTP: a handle opened by a 2025-era session is used by a modern client
 * too (whose SDK mirrors `_instance` into the `Mcp-Param-Instance` header, which the server checks
 * against the arguments), keeps its own state apart from the shared instance, and ends with the session
 * that opened it.
 */
import type { Client } from '@modelcontextprotocol/client';
import { describe, expect, it } from 'vitest';
import { fixture, resultText } from '../mcp/helpers.ts';
import { serveHttpPerFile } from './helpers.ts';

const server = serveHttpPerFile('r9');
const connect = (mode: 'auto' | 'legacy') => server.connect(mode);

describe('per-agent instances over HTTP', () => {
  it('a handle keeps its own state across eras and ends with the 2025-era session that opened it', async () => {
    const [counter] = (await fixture('counter')) as [string];
    const modern = await connect('auto');
    const legacy = await connect('legacy');
    const loaded = await modern.client.callTool({
      name: 'load-component',
      arguments: { path: counter, stateful: true },
    });
    expect(loaded.isError, resultText(loaded)).toBeFalsy();

    const opened = await legacy.client.callTool({
      name: 'open-instance',
      arguments: { component_id: 'counter' },
    });
    expect(opened.isError, resultText(opened)).toBeFalsy();
    const handle = (opened.structuredContent as { instance: string }).instance;
    expect(handle).toMatch(/^r9\./);

    const increment = (client: Client, args: Record<string, unknown>) =>
      client
        .callTool({ name: 'increment', arguments: args })
        .then((r) => ({ isError: r.isError === true, r }));
    expect((await increment(legacy.client, { _instance: handle })).r.structuredContent).toEqual({
      result: 1,
    });
    // the modern client's SDK sends the handle as Mcp-Param-Instance too; the server accepts the pair
    await modern.client.listTools();
    expect((await increment(modern.client, { _instance: handle })).r.structuredContent).toEqual({
      result: 2,
    });
    // the shared instance is another instance
    expect((await increment(modern.client, {})).r.structuredContent).toEqual({ result: 1 });

    await legacy.transport.terminateSession();
    await expect
      .poll(async () => (await increment(modern.client, { _instance: handle })).isError, { timeout: 10_000 })
      .toBe(true);
    const after = await increment(modern.client, { _instance: handle });
    expect(resultText(after.r)).toMatch(/session/i);
    // the shared instance is untouched
    expect((await increment(modern.client, {})).r.structuredContent).toEqual({ result: 2 });
  });
});
