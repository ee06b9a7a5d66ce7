/**
 * A component tool's arguments are validated once, by the runtime (issue 15): over MCP a bad argument
 * gets the runtime's own message, the very one `wasmactor call` and `check` give, not a second
 * validator's; `_instance`, which the runtime never sees, is still checked at the edge; the output
 * schema's validator is compiled when first needed, not when the tool is registered.
 */
import { join } from 'node:path';
import type { Client } from '@modelcontextprotocol/client';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ComponentHost } from '../../src/machines/index.ts';
import { ComponentStore, WasmactorServer } from '../../src/mcp/index.ts';
import { lazySchema } from '../../src/mcp/lazySchema.ts';
import { componentInputSchema } from '../../src/mcp/server/componentSchemas.ts';
import { createRuntime, prepareComponent, RuntimeError } from '../../src/runtime/index.ts';
import { connectInProcess, fixture, resultText, tempDir } from './helpers.ts';

let server: WasmactorServer;
let cleanup: () => Promise<void>;
let client: Client;
let cacheDir: string;

beforeEach(async () => {
  const temp = await tempDir();
  cleanup = temp.cleanup;
  cacheDir = join(temp.dir, '.transpiled');
  server = new WasmactorServer({
    host: new ComponentHost({ runtime: createRuntime({ cacheDir }) }),
    store: await ComponentStore.open(temp.dir),
  });
  client = await connectInProcess(server, 'schemas');
});

afterEach(async () => {
  await server.close();
  await cleanup();
});

/** The message the runtime itself gives for `args` of `add` (no MCP in between). */
async function runtimeMessage(counter: string, args: Record<string, unknown>): Promise<string> {
  const prepared = await prepareComponent({ path: counter }, { cacheDir });
  try {
    const error = await prepared.callOnce('add', args as never, {}).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(RuntimeError);
    return (error as RuntimeError).message;
  } finally {
    await prepared.dispose();
  }
}

describe('component tool schemas', () => {
  it("answers a bad argument with the runtime's message, for a stateless and a stateful tool", async () => {
    const [counter] = (await fixture('counter')) as [string];
    for (const stateful of [false, true]) {
      await client.callTool({ name: 'load-component', arguments: { path: counter, stateful } });
      for (const args of [{ n: -1 }, { n: 'three' }, {}, { n: 1, m: 2 }]) {
        const result = await client.callTool({ name: 'add', arguments: args });
        expect(result.isError).toBe(true);
        expect(resultText(result)).toBe(
          `Invalid arguments for tool add: ${await runtimeMessage(counter, args)}`,
        );
      }
    }
    // nothing reached the guest
    expect((await client.callTool({ name: 'get', arguments: {} })).structuredContent).toEqual({ result: 0 });
  }, 60_000);

  it('refuses an _instance that is not a string at the edge, naming it', async () => {
    const [counter] = (await fixture('counter')) as [string];
    await client.callTool({ name: 'load-component', arguments: { path: counter, stateful: true } });
    const result = await client.callTool({ name: 'get', arguments: { _instance: 5 } });
    expect(result.isError).toBe(true);
    expect(resultText(result)).toMatch(/_instance must be string/);
  }, 60_000);

  it('lists the input schema as it is and lets the runtime judge the arguments', async () => {
    const schema = { type: 'object', properties: { n: { type: 'integer', minimum: 0 } }, required: ['n'] };
    const input = componentInputSchema(schema, '_instance')['~standard'];
    expect(input.jsonSchema.input({ target: 'draft-2020-12' })).toEqual(schema);
    expect(input.validate({ n: -1 })).toEqual({ value: { n: -1 } });
    expect(input.validate([1])).toMatchObject({ issues: [{ message: 'data must be object' }] });
  });

  it('compiles an output validator on its first use, not before', () => {
    // A schema the validator cannot compile shows when compiling happens.
    const broken = lazySchema({ type: 'object', properties: { x: { type: 'no-such-type' } } } as never);
    expect(() => broken['~standard'].validate({ x: 1 })).toThrow();
    const output = lazySchema({ type: 'object', properties: { result: { type: 'integer' } } })['~standard'];
    expect(output.validate({ result: 1 })).toEqual({ value: { result: 1 } });
    expect(output.validate({ result: 'x' })).toMatchObject({
      issues: [{ message: expect.stringMatching(/integer/) }],
    });
  });
});
