// The floor of the MCP benchmarks: a plain SDK v2 server over stdio with one `echo` tool (the same
// schemas and result shape as a component tool), in plain JavaScript: nothing of wasmactor, no tsx.
import { fromJsonSchema, McpServer } from '@modelcontextprotocol/server';
import { serveStdio } from '@modelcontextprotocol/server/stdio';

const object = (properties, required) => ({ type: 'object', properties, required });
const input = fromJsonSchema(object({ value: { type: 'string' } }, ['value']));
const output = fromJsonSchema(object({ result: { type: 'string' } }, ['result']));

serveStdio(() => {
  const mcp = new McpServer({ name: 'echo-floor', version: '0.0.0' }, { capabilities: { tools: {} } });
  mcp.registerTool(
    'echo',
    { description: 'Returns its argument.', inputSchema: input, outputSchema: output },
    async ({ value }) => ({
      content: [{ type: 'text', text: JSON.stringify(value) }],
      structuredContent: { result: value },
    }),
  );
  return mcp;
});
