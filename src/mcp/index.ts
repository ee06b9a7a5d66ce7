/**
 * The MCP layer's public API: the wasmactor MCP server, the component directory, the conversion of call
 * outcomes and errors into tool results, and the CLI commands.
 */

export {
  type ComponentMetadata,
  ComponentStore,
  defaultComponentDir,
  defaultPolicy,
  isValidComponentId,
  type StoredComponent,
  type StoreProblem,
} from './ComponentStore.ts';
export { OUTPUT_META_KEY, outcomeToResult } from './callResult.ts';
export { type CommandIo, commands } from './commands/index.ts';
export { type ComponentLocation, resolveComponentPath } from './componentPath.ts';
export { errorMessage, errorToResult } from './errorResult.ts';
export { McpError, type McpErrorCode } from './McpError.ts';
export { permissionHints } from './permissionHints.ts';
export {
  type ListedTool,
  type RestoreReport,
  sidecarPolicyPath,
  WasmactorServer,
  type WasmactorServerOptions,
} from './server/index.ts';
export {
  BlobCache,
  defaultBlobCacheDir,
  type FetchedComponent,
  fetchComponentSource,
  parseSourceReference,
  type SourceReference,
} from './sources/index.ts';
export type { ComponentManager, LoadReport, LoadRequest, PolicyChange, ProgressSink } from './types.ts';
