// A diagnostic floor of the MCP benchmarks (bench/mcp.bench.ts): the SDK echo server of echoServer.mjs,
// whose tool hands each value to a worker thread and answers with what the worker sends back — one bare
// worker round trip per call (postMessage there and back, a message shaped like a component call), and
// nothing else. It is what any server that runs each call in a worker (as wasmactor runs a stateful
// instance, so that a call that loops can be killed) pays at least on top of the echo floor: two more
// thread wake-ups per call. Plain JavaScript: nothing of wasmactor, no tsx.
import { Worker } from 'node:worker_threads';
import { fromJsonSchema, McpServer } from '@modelcontextprotocol/server';
import { serveStdio } from '@modelcontextprotocol/server/stdio';

const worker = new Worker(
  `const { parentPort } = require('node:worker_threads');
   parentPort.on('message', (m) => parentPort.postMessage({ id: m.id, type: 'ok', value: m.args.value }));`,
  { eval: true },
);
worker.unref();
const pending = new Map();
let nextId = 0;
worker.on('message', (reply) => {
  const resolve = pending.get(reply.id);
  pending.delete(reply.id);
  resolve?.(reply.value);
});
const roundTrip = (value) =>
  new Promise((resolve) => {
    const id = ++nextId;
    pending.set(id, resolve);
    worker.postMessage({ type: 'call', instanceId: 1, fn: 0, args: { value }, id });
  });

const object = (properties, required) => ({ type: 'object', properties, required });
const input = fromJsonSchema(object({ value: { type: 'string' } }, ['value']));
const output = fromJsonSchema(object({ result: { type: 'string' } }, ['result']));

serveStdio(() => {
  const mcp = new McpServer({ name: 'echo-worker-floor', version: '0.0.0' }, { capabilities: { tools: {} } });
  mcp.registerTool(
    'echo',
    {
      description: 'Returns its argument, after a round trip to a worker thread.',
      inputSchema: input,
      outputSchema: output,
    },
    async ({ value }) => {
      const result = await roundTrip(value);
      return { content: [{ type: 'text', text: JSON.stringify(result) }], structuredContent: { result } };
    },
  );
  return mcp;
});
