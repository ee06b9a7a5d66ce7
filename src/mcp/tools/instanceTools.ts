/**
 * `open-instance` and `close-instance`: per-agent instances of a stateful component. A handle is passed
 * back as the `_instance` argument of the component's tools (declared with `x-mcp-header: Instance`, so
 * a 2026-07-28 client also sends it as the `Mcp-Param-Instance` header a load balancer can route on).
 */
import type { McpServer, ServerContext } from '@modelcontextprotocol/server';
import { errorToResult } from '../errorResult.ts';
import type { ComponentManager } from '../types.ts';
import { notLoaded } from './componentTools.ts';
import { answer, componentOnly, object, sharedSchema } from './schemas.ts';

const OPEN_DESCRIPTION =
  'Open a per-agent instance of a stateful component: a fresh instance with its own memory and state, ' +
  'served one call at a time, in parallel with other instances. Pass the returned handle as the ' +
  "_instance argument of the component's tools; without _instance a call uses the shared instance. " +
  'The instance ends at close-instance, after the idle time without calls, or when the component is ' +
  'unloaded or reloaded.';

const CLOSE_DESCRIPTION = 'Close a per-agent instance opened with open-instance; its state is dropped.';

/** The description of the `_instance` argument every tool of a stateful component takes. */
export const INSTANCE_ARG_DESCRIPTION =
  'Handle of a per-agent instance from open-instance; without it the call uses the shared instance.';

function registerOpenTool(mcp: McpServer, server: ComponentManager): void {
  mcp.registerTool(
    'open-instance',
    { description: OPEN_DESCRIPTION, inputSchema: sharedSchema<{ component_id: string }>(componentOnly()) },
    async ({ component_id }, ctx: ServerContext) => {
      if (!server.listComponents().some((c) => c.id === component_id))
        return errorToResult(notLoaded(component_id), 'open-instance');
      try {
        // A 2025-era HTTP session's instances end with it (see WasmactorServer.closeSessionInstances).
        const instance = await server.openInstance(component_id, ctx.sessionId);
        return answer({ instance, component_id });
      } catch (error) {
        return errorToResult(error, 'open-instance', `Cannot open an instance of ${component_id}`);
      }
    },
  );
}

function registerCloseTool(mcp: McpServer, server: ComponentManager): void {
  // Declared as a routing header like `_instance`: behind a load balancer the close reaches the owner.
  const handle = { type: 'string', description: 'Handle from open-instance', 'x-mcp-header': 'Instance' };
  const schema = object({ instance: handle }, ['instance']);
  mcp.registerTool(
    'close-instance',
    { description: CLOSE_DESCRIPTION, inputSchema: sharedSchema<{ instance: string }>(schema) },
    async ({ instance }) => {
      try {
        await server.closeInstance(instance);
        return answer({ status: 'instance closed', closed: true });
      } catch (error) {
        return errorToResult(error, 'close-instance', 'Cannot close the instance');
      }
    },
  );
}

/** Registers `open-instance` and `close-instance` on `mcp`. */
export function registerInstanceTools(mcp: McpServer, server: ComponentManager): void {
  registerOpenTool(mcp, server);
  registerCloseTool(mcp, server);
}
