/**
 * The built-in tools, with wassette's names and argument shapes (DESIGN.md, "MCP contract"), plus
 * `stateful` on `load-component`, and the `echo` tool that benchmarks compare against.
 */
import type { McpServer } from '@modelcontextprotocol/server';
import type { ComponentManager } from '../types.ts';
import { registerCheckTool } from './checkTool.ts';
import { registerComponentTools } from './componentTools.ts';
import { registerInstanceTools } from './instanceTools.ts';
import { registerPermissionTools } from './permissionTools.ts';
import { registerSearchTool } from './searchTool.ts';

export { registerEchoTool } from './echoTool.ts';
export { INSTANCE_ARG_DESCRIPTION } from './instanceTools.ts';

/** Registers every built-in tool on `mcp`; `registries` are what `search-components` searches. */
export function registerBuiltinTools(
  mcp: McpServer,
  server: ComponentManager,
  registries: readonly string[] = [],
): void {
  registerComponentTools(mcp, server);
  registerPermissionTools(mcp, server);
  registerInstanceTools(mcp, server);
  registerCheckTool(mcp, server);
  registerSearchTool(mcp, registries);
}
