/** One call of a component tool, answered as an MCP result: the value, a WIT `err` or the fault. */
import type { CallToolResult } from '@modelcontextprotocol/server';
import { type ComponentHost, MachineError } from '../../machines/index.ts';
import type { JsonObject } from '../../runtime/index.ts';
import type { Policy } from '../../runtime/policy/index.ts';
import { outcomeToResult, type ResultLimits } from '../callResult.ts';
import { errorDenials, errorToResult } from '../errorResult.ts';
import { appendToMessage } from '../messageText.ts';
import { withPermissionHints } from '../permissionHints.ts';

/**
 * What a component call needs: the host that runs it, the policy for the advice after a fault, and the
 * limits on the value sent back (default `DEFAULT_RESULT_LIMITS`).
 */
export interface ComponentCallContext {
  host: ComponentHost;
  policyOf(id: string): Promise<Policy>;
  limits?: ResultLimits;
}

/**
 * Runs tool `name` of component `componentId` (on per-agent instance `instance` when given) and
 * converts the outcome into an MCP result.
 */
export async function callComponentTool(
  context: ComponentCallContext,
  name: string,
  componentId: string,
  args: JsonObject,
  signal?: AbortSignal,
  instance?: string,
): Promise<CallToolResult> {
  try {
    const outcome = await context.host.call(name, args ?? {}, {
      ...(signal ? { signal } : {}),
      ...(instance === undefined ? {} : { instance }),
    });
    const result = outcomeToResult(outcome, name, context.limits);
    return withPermissionHints(result, componentId, outcome.denials, false);
  } catch (error) {
    const result = withPermissionHints(errorToResult(error, name), componentId, errorDenials(error), true);
    return withMemoryNote(context, result, componentId, error);
  }
}

/** After a fault of a component whose memory is capped: says so, since running out looks like any trap. */
async function withMemoryNote(
  context: ComponentCallContext,
  result: CallToolResult,
  componentId: string,
  error: unknown,
): Promise<CallToolResult> {
  if (!(error instanceof MachineError) || (error.code !== 'fault' && error.code !== 'state-lost')) {
    return result;
  }
  const policy = await context.policyOf(componentId).catch(() => undefined);
  const memory = policy?.permissions.resources?.limits.memory;
  if (memory === undefined) return result;
  return appendToMessage(
    result,
    `Its memory is capped at ${memory} by its policy (permissions.resources.limits.memory); if it ran out, raise the limit and load it again.`,
  );
}
