/**
 * Permission policies: wassette's `policy.yaml` (parse, serialize), the pure grant/revoke functions, the
 * translation of a policy into the runtime's `SandboxSpec`, per-component secrets and `--env` values.
 * Not a WebAssembly concern: it depends on the runtime's face only, for its types and two helpers (the
 * network-host grammar and the bounded file reader); the runtime never imports it.
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
export {
  type PolicyProblem,
  parsePolicy,
  readPermissionsBlock,
  serializePolicy,
  yamlProblem,
} from './parse.ts';
export { MAX_POLICY_FILE_SIZE, readPolicyFile } from './readPolicyFile.ts';
export {
  ALLOW_BROAD_GRANTS_FLAG,
  broadGrantProblem,
  type GrantGuard,
  MAX_ENV_KEY_LENGTH,
  parseMemoryQuantity,
} from './rules.ts';
export { defaultSecretsDir, deleteSecrets, listSecretKeys, loadSecrets, setSecrets } from './secrets.ts';
export { type PolicySandboxOptions, policyToSandbox } from './toSandbox.ts';
export type * from './types.ts';
export { yaml } from './yaml.ts';
