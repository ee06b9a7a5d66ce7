/**
 * Permission policies: wassette's `policy.yaml` (parse, serialize), the pure grant/revoke functions, the
 * translation of a policy into the runtime's `SandboxSpec`, per-component secrets and `--env` values.
 * Not a WebAssembly concern: it depends on the runtime's types only, and the runtime never imports it.
 */
export { parseEnvPair, readEnvFile } from './envValues.ts';
export {
  emptyPolicy,
  grantEnv,
  grantNetwork,
  grantStorage,
  resetPolicy,
  revokeEnv,
  revokeNetwork,
  revokeStorage,
} from './grants.ts';
export { parsePolicy, serializePolicy } from './parse.ts';
export { parseMemoryQuantity } from './rules.ts';
export { defaultSecretsDir, deleteSecrets, listSecretKeys, loadSecrets, setSecrets } from './secrets.ts';
export { type PolicySandboxOptions, policyToSandbox } from './toSandbox.ts';
export type * from './types.ts';
