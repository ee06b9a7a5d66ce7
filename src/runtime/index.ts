/**
 * The runtime layer's public API: everything about WebAssembly components, nothing about XState or MCP.
 * Inside, `prepare/` drives `decode/`, `wit/` and `worker/`; `worker/` drives `sandbox/` and `wit/`.
 * `policy/` sits beside the runtime and depends on its types only (import it from `policy/index.ts`).
 */
export { createRuntime } from './createRuntime.ts';
export { checkComponentHeader, decodeComponent, topLevelCustomSections } from './decode/index.ts';
export { isLogLevel, type LogLevel, log, logLevels, setLogLevel } from './log.ts';
export {
  type HostCheck,
  isHostAllowed,
  type NetworkHost,
  parseNetworkHost,
} from './network.ts';
export {
  capMemory,
  defaultCacheDir,
  defaultMaxComponentSize,
  defaultMaxMemory,
  defaultTimeoutMs,
  fileKind,
  jcoVersion,
  memoryLimits,
  prepareComponent,
  type ReadOptions,
  readBoundedFile,
  readComponentSource,
  readComponentTypes,
  sha256,
  TransientSource,
  transient,
} from './prepare/index.ts';
export { poisonsInstance, RuntimeError, type RuntimeErrorCode } from './RuntimeError.ts';
export type * from './types.ts';
export {
  type ArbitraryOptions,
  inputSchema,
  loadArbitraries,
  MAX_TOOL_NAME_LENGTH,
  normalizeInterfaceName,
  outputSchema,
  resultMismatch,
  toolDefinitions,
  toolName,
  typeMismatch,
} from './wit/index.ts';
