/**
 * The MCP layer's public API: the wasmactor MCP server, the component directory and the CLI commands
 * `serve` and `component`.
 */

export type { CommandIo } from './CommandIo.ts';
export {
  type ComponentMetadata,
  ComponentStore,
  defaultComponentDir,
  defaultPolicy,
  isValidComponentId,
  type StoredComponent,
  type StoreProblem,
} from './ComponentStore.ts';
export { failureToResult, OUTPUT_META_KEY, outcomeToResult } from './callResult.ts';
export { componentCommand, componentUsage } from './componentCommand.ts';
export { type ComponentLocation, ComponentPathError, resolveComponentPath } from './componentPath.ts';
export { permissionHints } from './permissionHints.ts';
export { secretCommand, secretUsage } from './secretCommand.ts';
export { serveCommand, serveUsage } from './serveCommand.ts';
export {
  type LoadReport,
  type ProgressSink,
  sidecarPolicyPath,
  WasmactorServer,
  type WasmactorServerOptions,
} from './WasmactorServer.ts';
