/**
 * The runtime layer's public API: everything about WebAssembly components, nothing about XState or MCP.
 */
import { prepareComponent } from './prepareComponent.ts';
import type { ComponentRuntime, PrepareOptions } from './types.ts';

export { decodeComponent } from './decodeComponent.ts';
export { parseEnvPair, readEnvFile } from './envValues.ts';
export { isLogLevel, type LogLevel, log, logLevels, setLogLevel } from './logger.ts';
export { capMemory, memoryLimits } from './memoryLimit.ts';
export {
  type AccessMode,
  emptyPolicy,
  grantEnv,
  grantNetwork,
  grantStorage,
  type Policy,
  type PolicySandboxOptions,
  parseMemoryQuantity,
  parsePolicy,
  policyToSandbox,
  resetPolicy,
  revokeEnv,
  revokeNetwork,
  revokeStorage,
  serializePolicy,
} from './policy.ts';
export {
  defaultTimeoutMs,
  prepareComponent,
  readComponentSource,
  readComponentTypes,
} from './prepareComponent.ts';
export { poisonsInstance, RuntimeError, type RuntimeErrorCode } from './RuntimeError.ts';
export { defaultSecretsDir, deleteSecrets, listSecretKeys, loadSecrets, setSecrets } from './secrets.ts';
export { MAX_TOOL_NAME_LENGTH, normalizeInterfaceName } from './toolNames.ts';
export { defaultCacheDir, jcoVersion, sha256 } from './transpileCache.ts';
export type * from './types.ts';
export { inputSchema, outputSchema, toolDefinitions, toolName } from './witJson.ts';

/** Creates the runtime; `cacheDir` is where transpiled components are cached. */
export function createRuntime(options: { cacheDir?: string } = {}): ComponentRuntime {
  return {
    prepare: (source, prepareOptions: PrepareOptions = {}) =>
      prepareComponent(source, { cacheDir: options.cacheDir, ...prepareOptions }),
  };
}
