/** The wasmactor MCP server and the parts it is made of (see WasmactorServer.ts). */

export { mintHandle, randomReplicaId, replicaIdProblem } from './instanceHandles.ts';
export { sidecarPolicyPath } from './PolicyBook.ts';
export type { RestoreReport } from './restore.ts';
export type { ListedTool } from './ToolRegistry.ts';
export { WasmactorServer, type WasmactorServerOptions } from './WasmactorServer.ts';
