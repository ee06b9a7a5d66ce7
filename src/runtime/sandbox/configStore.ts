/**
 * `wasi:config/store`: runtime configuration a component reads by key (wassette provides it; its
 * get-weather and github examples read their API keys through it). What a component sees there is
 * exactly what it sees in its environment, as in wassette, where the config values are the granted
 * environment variables: deny by default, `grant-environment-variable-permission` (or a secret) makes a
 * key visible in both, revoking hides it from both.
 */

/** The `wasi:config/store` import over the instance's granted values (`SandboxSpec.env`). */
export function configStoreImports(env: Readonly<Record<string, string>>): Record<string, unknown> {
  const entries = Object.entries(env);
  return {
    'wasi:config/store': {
      // `result<option<string>, error>`: jco lowers the returned value as `ok` (undefined is `none`).
      get: (key: string): string | undefined => (Object.hasOwn(env, key) ? env[key] : undefined),
      getAll: (): [string, string][] => entries.map(([key, value]) => [key, value]),
    },
  };
}
