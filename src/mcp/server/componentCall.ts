/** One call of a component tool, answered as an MCP result: the value, a WIT `err` or the fault. */
import type { CallToolResult } from '@modelcontextprotocol/server';
import { type ComponentHost, MachineError } from '../../machines/index.ts';
import type { JsonObject } from '../../runtime/index.ts';
import type { Policy } from '../../runtime/policy/index.ts';
import { outcomeToResult, type ResultLimits } from '../callResult.ts';
import { errorDenials, errorToResult } from '../errorResult.ts';
import { appendToMessage } from '../messageText.ts';
import { permissionHints, withPermissionHints } from '../permissionHints.ts';
import type { ClientLog } from './ClientLog.ts';

/**
 * What a component call needs: the host that runs it, the policy for the advice after a fault, and the
 * limits on the value sent back (default `DEFAULT_RESULT_LIMITS`).
 */
export interface ComponentCallContext {
  host: ComponentHost;
  policyOf(id: string): Promise<Policy>;
  limits?: ResultLimits;
  /** Told about faults, fresh instances and refused accesses (the clients' log). */
  clientLog?: ClientLog;
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
    const outcome = await context.host.call(
      name,
      args ?? {},
      instance === undefined ? (signal ? { signal } : undefined) : { signal, instance },
    );
    // A per-agent instance's faults are its own: the shared instance's fresh start is tracked alone.
    if (instance === undefined) context.clientLog?.ran(componentId, name);
    context.clientLog?.denied(componentId, name, permissionHints(componentId, outcome.denials));
    const result = outcomeToResult(outcome, name, context.limits);
    return withPermissionHints(result, componentId, outcome.denials, false);
  } catch (error) {
    const result = withPermissionHints(errorToResult(error, name), componentId, errorDenials(error), true);
    const withNote = await withMemoryNote(context, result, componentId, error);
    tellClients(context.clientLog, componentId, name, error, withNote, instance !== undefined);
    return withNote;
  }
}

/** A fault (the next call gets a fresh instance) and the refused accesses of a failed call, for the clients. */
function tellClients(
  clientLog: ClientLog | undefined,
  componentId: string,
  tool: string,
  error: unknown,
  result: CallToolResult,
  perAgent: boolean,
): void {
  if (!clientLog) return;
  clientLog.denied(componentId, tool, permissionHints(componentId, errorDenials(error)));
  if (error instanceof MachineError && (error.code === 'fault' || error.code === 'state-lost')) {
    // The result's own message: what the client's tool result already carries, nothing more.
    const first = result.content[0];
    const note = {
      event: 'component-fault',
      component: componentId,
      tool,
      code: error.code,
      message: first?.type === 'text' ? first.text : error.message,
    };
    // A per-agent instance's fault is told, but the shared instance's next call is not a fresh start.
    if (perAgent) clientLog.send('warning', note);
    else clientLog.fault(componentId, note);
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
