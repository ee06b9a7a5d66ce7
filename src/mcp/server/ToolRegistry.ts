/**
 * Keeps the component tools of every connected `McpServer` in step with what is loaded: one MCP tool per
 * export, re-registered when its schema or description changes, removed when its component goes.
 *
 * A tool of a stateful component also takes `_instance` (a handle from open-instance; WIT names never
 * contain `_`, so it cannot collide with a parameter), declared with `"x-mcp-header": "Instance"`: a
 * 2026-07-28 client mirrors it into the `Mcp-Param-Instance` header, which a load balancer can route on.
 */
import type {
  CallToolResult,
  fromJsonSchema,
  McpServer,
  RegisteredTool,
  ServerContext,
} from '@modelcontextprotocol/server';
import { type JsonObject, log, type ToolDefinition } from '../../runtime/index.ts';
import { lazySchema } from '../lazySchema.ts';
import { INSTANCE_ARG_DESCRIPTION } from '../tools/index.ts';
import { componentInputSchema } from './componentSchemas.ts';

/** The argument that picks a per-agent instance, and the header name it is mirrored into. */
export const INSTANCE_ARG = '_instance';
export const INSTANCE_HEADER = 'Instance';

/** One component tool as the MCP layer lists it. */
export interface ListedTool {
  componentId: string;
  tool: ToolDefinition;
  /** A stateful component's tools take `_instance`. */
  stateful?: boolean;
}

/** Runs one component tool and answers with its MCP result. */
export type ToolCaller = (
  name: string,
  componentId: string,
  args: JsonObject,
  signal?: AbortSignal,
  instance?: string,
) => Promise<CallToolResult>;

type Registered = Map<string, { handle: RegisteredTool; signature: string }>;

function toolSignature(entry: ListedTool): string {
  const { description, inputSchema, outputSchema } = entry.tool;
  return JSON.stringify([entry.componentId, entry.stateful === true, description, inputSchema, outputSchema]);
}

/** The input schema a client sees: a stateful component's tools also take `_instance`. */
export function listedInputSchema(entry: ListedTool): Record<string, unknown> {
  const schema = entry.tool.inputSchema as Record<string, unknown>;
  if (!entry.stateful) return schema;
  const properties = (schema.properties ?? {}) as Record<string, unknown>;
  return {
    ...schema,
    type: 'object',
    properties: {
      ...properties,
      [INSTANCE_ARG]: {
        type: 'string',
        description: INSTANCE_ARG_DESCRIPTION,
        'x-mcp-header': INSTANCE_HEADER,
      },
    },
  };
}

/** Takes `_instance` out of the arguments (the component never sees it). */
function splitInstance(args: JsonObject): { args: JsonObject; instance?: string } {
  if (args === undefined || args === null || !(INSTANCE_ARG in args)) return { args };
  const { [INSTANCE_ARG]: instance, ...rest } = args;
  return typeof instance === 'string' ? { args: rest, instance } : { args: rest };
}

type SchemaArg = Parameters<typeof fromJsonSchema>[0];

/** The compiled schemas of one listed tool (see `ToolRegistry.schemasOf`). */
interface CompiledSchemas {
  stateful: boolean;
  input: ReturnType<typeof fromJsonSchema<JsonObject>>;
  output: ReturnType<typeof fromJsonSchema<JsonObject>>;
}

/** The component tools of every connected `McpServer`. */
export class ToolRegistry {
  private readonly servers = new Map<McpServer, Registered>();
  /**
   * Each tool's schemas, compiled once for every McpServer (a 2026-07-28 HTTP request gets a fresh one);
   * kept as long as the tool definition (one generation of a component) lives.
   */
  private readonly compiled = new WeakMap<object, CompiledSchemas>();

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

  private schemasOf(entry: ListedTool): CompiledSchemas {
    const stateful = entry.stateful === true;
    const known = this.compiled.get(entry.tool);
    if (known !== undefined && known.stateful === stateful) return known;
    // The runtime validates the arguments (once, see componentSchemas.ts); the output validator is
    // compiled on first use.
    const made: CompiledSchemas = {
      stateful,
      input: componentInputSchema(listedInputSchema(entry) as SchemaArg, INSTANCE_ARG),
      output: lazySchema(entry.tool.outputSchema as SchemaArg),
    };
    this.compiled.set(entry.tool, made);
    return made;
  }

  private register(mcp: McpServer, entry: ListedTool): RegisteredTool | undefined {
    const { componentId, tool } = entry;
    try {
      return mcp.registerTool(
        tool.name,
        {
          description: tool.description,
          inputSchema: this.schemasOf(entry).input,
          outputSchema: this.schemasOf(entry).output,
          _meta: { 'wasmactor/component': componentId },
        },
        // Not `async`: the caller's promise is handed back as it is (an async wrapper would add a promise
        // and three microtask turns to every call).
        (args: JsonObject, ctx: ServerContext) => {
          const split = splitInstance(args);
          return this.call(tool.name, componentId, split.args, ctx.mcpReq.signal, split.instance);
        },
      );
    } catch (error) {
      log.error('cannot register component tool', { tool: tool.name, componentId, error: String(error) });
      return undefined;
    }
  }
}
