/**
 * `Policy` -> `SandboxSpec`: the capabilities one instance of a component gets. Deny by default: no
 * grant, no capability.
 */
import { realpathSync, statSync } from 'node:fs';
import { RuntimeError } from '../RuntimeError.ts';
import type { Preopen, SandboxSpec } from '../types.ts';
import {
  broadGrantProblem,
  type GrantGuard,
  nestingProblem,
  parseMemoryQuantity,
  storagePath,
} from './rules.ts';
import type { Policy } from './types.ts';

/** Where environment values come from. */
export interface PolicySandboxOptions {
  /** Values given to the server (`serve --env K=V`, `--env-file`); they win over `hostEnv`. */
  envValues: Record<string, string>;
  /** The server's own environment; only granted keys are read from it. Omit to never use it. */
  hostEnv?: NodeJS.ProcessEnv;
  /**
   * The component's own secrets (see secrets.ts). Setting a secret for one component is itself the
   * grant: every secret is visible to that component, and a secret wins over `envValues`/`hostEnv`.
   */
  secrets?: Record<string, string>;
  /**
   * What storage grants must not reach (see `broadGrantProblem`), checked again on the real paths: a
   * grant that is a symlink to `/` is refused here although its uri looked narrow.
   */
  guard?: GrantGuard;
}

/** The guard with its directories resolved through symlinks, so they compare with resolved grants. */
function resolvedGuard(guard: GrantGuard): GrantGuard {
  const real = (path: string) => realpathOrUndefined(path) ?? path;
  return {
    ...guard,
    ...(guard.serverDirs && { serverDirs: guard.serverDirs.map(real) }),
    ...(guard.home !== undefined && { home: real(guard.home) }),
  };
}

function realpathOrUndefined(path: string): string | undefined {
  try {
    return realpathSync(path);
  } catch {
    return undefined;
  }
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/**
 * Builds the sandbox of one instance from a policy:
 * - storage: one preopen per granted directory, guest path = host path (as in wassette), read-only
 *   unless `write` is granted. Grants whose directory does not exist (yet) are left out; they appear at
 *   the next instantiation once the directory exists. A read-only grant that lies inside a writable one
 *   (also through symlinks: real paths are compared) is refused with `invalid-policy`, and so is a grant
 *   whose real path is too broad for `options.guard` (a symlink to `/`, `/proc`, the home directory...).
 * - env: only granted keys, from `envValues`, else `hostEnv`; plus the component's secrets.
 * - network: the granted hosts as `allowedHosts` (the sandbox checks every outgoing wasi:http request).
 * - memory: `resources.limits.memory` in bytes as `memoryLimit`.
 */
export function policyToSandbox(policy: Policy, options: PolicySandboxOptions): SandboxSpec {
  const spec: SandboxSpec = {};
  const { storage, network, environment, resources } = policy.permissions;

  const preopens: Preopen[] = [];
  const real: { path: string; label: string; writable: boolean }[] = [];
  const guard = resolvedGuard(options.guard ?? {});
  for (const grant of storage?.allow ?? []) {
    const path = storagePath(grant.uri);
    const writable = grant.access.includes('write');
    const resolved = realpathOrUndefined(path);
    if (resolved === undefined || !isDirectory(resolved)) continue;
    const broad = broadGrantProblem(resolved, guard);
    if (broad !== undefined) {
      const how = resolved === path ? '' : ` resolves through a symlink to ${resolved} and so`;
      throw new RuntimeError('invalid-policy', `${grant.uri}${how} ${broad}`);
    }
    real.push({ path: resolved, label: grant.uri, writable });
    preopens.push({ hostPath: path, guestPath: path, readOnly: !writable });
  }
  const nesting = nestingProblem(real);
  if (nesting !== undefined) throw new RuntimeError('invalid-policy', nesting);
  spec.preopens = preopens;

  const env: Record<string, string> = {};
  for (const { key } of environment?.allow ?? []) {
    const value = Object.hasOwn(options.envValues, key) ? options.envValues[key] : options.hostEnv?.[key];
    if (value !== undefined) env[key] = value;
  }
  for (const [key, value] of Object.entries(options.secrets ?? {})) env[key] = value;
  spec.env = env;

  spec.allowedHosts = (network?.allow ?? []).map((grant) => grant.host);

  const memory = resources?.limits.memory;
  if (memory !== undefined) {
    const bytes = parseMemoryQuantity(memory);
    if (!bytes.ok)
      throw new RuntimeError(
        'invalid-policy',
        `permissions.resources.limits.memory: the value ${bytes.problem}`,
      );
    spec.memoryLimit = bytes.value;
  }
  return spec;
}
