/**
 * `check-component {component_id, runs?, ...}`: `wasmactor check` on a loaded component, so an agent can
 * test a component it just loaded. Every call is on a fresh instance in the component's own sandbox (a
 * stateful component's live instance is not touched); progress is notified and the request's
 * cancellation stops the check.
 */
import type { McpServer, ServerContext } from '@modelcontextprotocol/server';
import type { Json } from '../../runtime/index.ts';
import type { CallStep } from '../check/index.ts';
import { errorToResult } from '../errorResult.ts';
import type { ComponentManager } from '../types.ts';
import { notLoaded } from './componentTools.ts';
import { progressSink } from './progress.ts';
import { componentIdSchema, object, sharedSchema } from './schemas.ts';

/** Runs per function when the tool is not told (fewer than the command's 100: an agent is waiting). */
export const CHECK_TOOL_RUNS = 25;
/** Largest time limit of one call of the check: a hang costs this much per run. */
const CHECK_TOOL_TIMEOUT_MS = 5_000;

interface CheckArgs {
  component_id: string;
  runs?: number;
  seed?: number;
  tools?: string[];
  deterministic?: boolean;
  stateful?: boolean;
}

const DESCRIPTION =
  "Property-based test of a loaded component: calls each exported function (or the named tools) with random arguments drawn from its WIT types, each on a fresh instance in the component's sandbox, and reports per function the runs, traps, time-outs, exits, results that do not match the declared type and, with deterministic, different answers to the same arguments. Each failure comes with the smallest arguments found (fast-check shrinking) and the seed. stateful also runs random sequences of calls on one fresh instance each and reports the shortest failing sequence.";

/** How to repeat the failing calls through MCP. */
function reproduction(steps: CallStep[]): string {
  const calls = steps.map((s) => `tools/call ${JSON.stringify({ name: s.tool, arguments: s.args })}`);
  return steps.length === 1 ? (calls[0] ?? '') : `on one stateful instance, in order: ${calls.join('; ')}`;
}

/** Registers `check-component` on `mcp`. */
export function registerCheckTool(mcp: McpServer, server: ComponentManager): void {
  const schema = object(
    {
      component_id: componentIdSchema,
      runs: {
        type: 'integer',
        minimum: 1,
        maximum: 10_000,
        description: `Runs per function (default ${CHECK_TOOL_RUNS})`,
      },
      seed: { type: 'integer', description: "fast-check's seed (default random; the report gives it)" },
      tools: {
        type: 'array',
        items: { type: 'string' },
        description: 'Check only these tools (default all)',
      },
      deterministic: { type: 'boolean', description: 'Call twice with the same arguments and compare' },
      stateful: { type: 'boolean', description: 'Also run random sequences of calls on one instance' },
    },
    ['component_id'],
  );
  mcp.registerTool(
    'check-component',
    { description: DESCRIPTION, inputSchema: sharedSchema<CheckArgs>(schema) },
    async (args, ctx: ServerContext) => {
      const target = server.preparedComponent(args.component_id);
      if (!target) return errorToResult(notLoaded(args.component_id), 'check-component');
      const onProgress = progressSink(ctx);
      try {
        // Loaded at the first check, not at start: fast-check is needed by this tool alone.
        const { checkComponent, formatReport } = await import('../check/index.ts');
        const report = await checkComponent(target.prepared, {
          runs: args.runs ?? CHECK_TOOL_RUNS,
          ...(args.seed === undefined ? {} : { seed: args.seed }),
          tools: args.tools ?? [],
          sandbox: target.sandbox,
          timeoutMs: Math.min(target.timeoutMs, CHECK_TOOL_TIMEOUT_MS),
          deterministic: args.deterministic ?? false,
          stateful: args.stateful ?? false,
          component: args.component_id,
          command: reproduction,
          signal: ctx.mcpReq.signal,
          ...(onProgress ? { onProgress } : {}),
        });
        return {
          content: [{ type: 'text', text: formatReport(report) }],
          structuredContent: report as unknown as { [key: string]: Json },
        };
      } catch (error) {
        return errorToResult(error, 'check-component', `Cannot check ${args.component_id}`);
      }
    },
  );
}
