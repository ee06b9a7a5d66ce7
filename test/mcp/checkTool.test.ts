/**
 * `check-component` over a real in-process MCP client: the same report as `wasmactor check` (JSON in
 * structuredContent, the table in text), progress notifications, cancellation by the request's signal.
 */
import type { Client } from '@modelcontextprotocol/client';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ComponentHost } from '../../src/machines/index.ts';
import type { CheckReport } from '../../src/mcp/check/index.ts';
import { WasmactorServer } from '../../src/mcp/index.ts';
import { createRuntime } from '../../src/runtime/index.ts';
import { connectInProcess, fixture, resultText } from './helpers.ts';

let server: WasmactorServer;
let client: Client;

beforeEach(async () => {
  server = new WasmactorServer({ host: new ComponentHost({ runtime: createRuntime() }) });
  client = await connectInProcess(server);
});

afterEach(async () => {
  await client.close();
  await server.close();
});

describe('check-component', () => {
  it('reports a loaded component like wasmactor check, with progress notifications', async () => {
    const [bugs] = (await fixture('bugs')) as [string];
    await client.callTool({ name: 'load-component', arguments: { path: bugs, stateful: true } });
    const progress: number[] = [];
    const result = await client.callTool(
      {
        name: 'check-component',
        arguments: { component_id: 'bugs', runs: 15, seed: 42, tools: ['scale', 'add'] },
      },
      { onprogress: (p) => progress.push(p.progress) },
    );
    expect(result.isError).toBeFalsy();
    const report = result.structuredContent as unknown as CheckReport;
    expect(report).toMatchObject({ component: 'bugs', seed: 42, runs: 15, passed: false, cancelled: false });
    expect(report.functions.map((f) => [f.tool, f.status])).toEqual([
      ['scale', 'failed'],
      ['add', 'passed'],
    ]);
    const failure = report.functions[0]?.failure;
    expect(Math.abs(failure?.steps[0]?.args.n as number)).toBe(2147484);
    expect(failure?.command).toBe(
      `tools/call ${JSON.stringify({ name: 'scale', arguments: failure?.steps[0]?.args })}`,
    );
    // the command a failure prints is a call the agent can make: it fails the same way
    const again = await client.callTool({ name: 'scale', arguments: failure?.steps[0]?.args ?? {} });
    expect(again.isError).toBe(true);
    expect(resultText(again)).toMatch(/trapped in scale/);
    expect(resultText(result)).toMatch(/^scale +15 .* FAIL trap$/m);
    expect(progress.length).toBe(30);
    expect(progress.at(-1)).toBe(30);
    // the live stateful instance was not touched by the check: the stack is still empty
    expect((await client.callTool({ name: 'pop', arguments: {} })).structuredContent).toEqual({ result: 0 });
  }, 60_000);

  it('stops when the request is cancelled', async () => {
    const [bugs] = (await fixture('bugs')) as [string];
    await client.callTool({ name: 'load-component', arguments: { path: bugs } });
    const controller = new AbortController();
    const progress: number[] = [];
    const check = client.callTool(
      { name: 'check-component', arguments: { component_id: 'bugs', runs: 10_000, tools: ['add'] } },
      {
        signal: controller.signal,
        onprogress: (p) => {
          progress.push(p.progress);
          if (progress.length === 5) controller.abort();
        },
      },
    );
    await expect(check).rejects.toThrow();
    const seen = progress.length;
    await new Promise((r) => setTimeout(r, 500));
    // a few runs may be in flight when the cancellation arrives; then nothing more
    expect(progress.length - seen).toBeLessThanOrEqual(2);
    expect(seen).toBeLessThan(100);
  }, 30_000);

  it('refuses a component that is not loaded', async () => {
    const result = await client.callTool({ name: 'check-component', arguments: { component_id: 'ghost' } });
    expect(result.isError).toBe(true);
    expect(resultText(result)).toMatch(/No component "ghost" is loaded/);
  });
});
