/**
 * Keeps the component tools of every connected `McpServer` in step with what is loaded: one MCP tool per
 * export, re-registered when its schema or description changes, removed when its component goes.
 */
import {
  type CallToolResult,
  fromJsonSchema,
  type McpServer,
  type RegisteredTool,
  type ServerContext,
} from '@modelcontextprotocol/server';
import { type JsonObject, log, type ToolDefinition } from '../../runtime/index.ts';

/** One component tool as the MCP layer lists it. */
export interface ListedTool {
  componentId: string;
  tool: ToolDefinition;
}

/** Runs one component tool and answers with its MCP result. */
export type ToolCaller = (
  name: string,
  componentId: string,
  args: JsonObject,
  signal?: AbortSignal,
) => Promise<CallToolResult>;

type Registered = Map<string, { handle: RegisteredTool; signature: string }>;

function toolSignature(entry: ListedTool): string {
  const { description, inputSchema, outputSchema } = entry.tool;
  return JSON.stringify([entry.componentId, description, inputSchema, outputSchema]);
}

type SchemaArg = Parameters<typeof fromJsonSchema>[0];

/** The component tools of every connected `McpServer`. */
export class ToolRegistry {
  private readonly servers = new Map<McpServer, Registered>();

  constructor(
    private readonly listed: () => ListedTool[],
    private readonly call: ToolCaller,
  ) {}

  /** Starts keeping the tools of `mcp` in step (its current tools are registered now, silently). */
  add(mcp: McpServer): void {
    this.servers.set(mcp, new Map());
    this.sync(mcp);
    const onclose = mcp.server.onclose;
    mcp.server.onclose = () => {
      this.servers.delete(mcp);
      onclose?.();
    };
  }

  /** The connected servers. */
  connected(): McpServer[] {
    return [...this.servers.keys()];
  }

  /**
   * Brings the registered component tools of one (or every) McpServer in line with `listed()`; every
   * server is told with `tools/list_changed`, except when only one is brought in line.
   */
  sync(only?: McpServer): void {
    const desired = new Map(this.listed().map((entry) => [entry.tool.name, entry]));
    for (const [mcp, registered] of this.servers) {
      if (only && mcp !== only) continue;
      for (const [name, reg] of registered) {
        const want = desired.get(name);
        if (!want || toolSignature(want) !== reg.signature) {
          reg.handle.remove();
          registered.delete(name);
        }
      }
      for (const [name, entry] of desired) {
        if (registered.has(name)) continue;
        const handle = this.register(mcp, entry);
        if (handle) registered.set(name, { handle, signature: toolSignature(entry) });
      }
      if (!only) mcp.sendToolListChanged();
    }
  }

  private register(mcp: McpServer, { componentId, tool }: ListedTool): RegisteredTool | undefined {
    try {
      return mcp.registerTool(
        tool.name,
        {
          description: tool.description,
          inputSchema: fromJsonSchema<JsonObject>(tool.inputSchema as SchemaArg),
          outputSchema: fromJsonSchema<JsonObject>(tool.outputSchema as SchemaArg),
          _meta: { 'wasmactor/component': componentId },
        },
        async (args: JsonObject, ctx: ServerContext) =>
          this.call(tool.name, componentId, args, ctx.mcpReq.signal),
      );
    } catch (error) {
      log.error('cannot register component tool', { tool: tool.name, componentId, error: String(error) });
      return undefined;
    }
  }
}
