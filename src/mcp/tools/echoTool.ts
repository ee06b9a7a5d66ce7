import type { McpServer } from '@modelcontextprotocol/server';
import { object, sharedSchema } from './schemas.ts';

/** `echo {value: string}` -> the same value, the same result shape as a component tool (benchmark floor). */
export function registerEchoTool(mcp: McpServer): void {
  const schema = object({ value: { type: 'string' } }, ['value']);
  mcp.registerTool(
    'echo',
    {
      description: 'Returns its argument (a floor for benchmarks; enabled with --echo-tool).',
      inputSchema: sharedSchema<{ value: string }>(schema),
      outputSchema: sharedSchema<{ result: string }>(object({ result: { type: 'string' } }, ['result'])),
    },
    async ({ value }) => ({
      content: [{ type: 'text', text: JSON.stringify(value) }],
      structuredContent: { result: value },
    }),
  );
}
