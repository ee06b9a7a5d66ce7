/**
 * A component's permissions, in wassette's `policy.yaml` shape: what it may see of the host. Everything
 * not allowed here is denied. The functions below are pure: each returns a new policy and leaves its
 * argument alone, so a caller can validate, persist and only then swap the policy in.
 *
 * Semantics follow wassette's policy manager: granting storage on a uri that is already granted merges
 * the access modes; revoking storage removes the uri whatever its modes; network and environment
 * grants are sets (no duplicates); `resetPolicy` returns to deny-all.
 */

import { RuntimeError } from '../RuntimeError.ts';
import {
  broadGrantProblem,
  canonicalStorageUri,
  describeProblem,
  envKeyProblem,
  type GrantGuard,
  parseNetworkHost,
  storageNestingProblem,
  storagePath,
} from './rules.ts';

import type { AccessMode, Permissions, Policy, StoragePermission } from './types.ts';

/** The deny-all policy (what a component without a policy file gets). */
export function emptyPolicy(description?: string): Policy {
  return description === undefined
    ? { version: '1.0', permissions: {} }
    : { version: '1.0', description, permissions: {} };
}

const SAYS_DENY_ALL = /^(.*?)[\s:,;-]*\bdeny[ -]all\b\.?$/i;
const SAYS_GRANTED = /^(.*): permissions granted at run time$/;

/**
 * The policy with `permissions`. A description that says the policy denies everything (the default
 * one, `Default policy for x: deny all`) would lie once something is granted: it becomes
 * `Default policy for x: permissions granted at run time` (dropped when nothing precedes "deny all"),
 * and says "deny all" again once nothing is granted.
 */
function withPermissions(policy: Policy, permissions: Permissions): Policy {
  const next: Policy = { ...policy, permissions };
  const match = policy.description === undefined ? null : SAYS_DENY_ALL.exec(policy.description);
  const granted = Object.values(permissions).some((section) => section !== undefined);
  if (match !== null && granted) {
    const head = match[1]?.trim() ?? '';
    if (head === '') delete next.description;
    else next.description = `${head}: permissions granted at run time`;
  }
  const runtime = policy.description === undefined ? null : SAYS_GRANTED.exec(policy.description);
  if (runtime !== null && !granted) next.description = `${runtime[1]}: deny all`;
  return next;
}

function invalid(message: string): RuntimeError {
  return new RuntimeError('invalid-policy', message);
}

function storageUri(uri: string): string {
  const checked = canonicalStorageUri(uri);
  if (!checked.ok) throw invalid(`uri: ${describeProblem(uri, checked)}`);
  return checked.value;
}

function networkHost(host: string): string {
  const checked = parseNetworkHost(host);
  if (!checked.ok) throw invalid(`host: ${describeProblem(host, checked)}`);
  return checked.value.canonical;
}

function checkEnvKey(key: string): void {
  const problem = envKeyProblem(key);
  if (problem !== undefined) throw invalid(`key: ${describeProblem(key, { problem })}`);
}

/**
 * Grants `access` on `uri` (`fs:///abs/dir`). An existing grant on the same uri keeps its modes and
 * gains the new ones. Throws `invalid-policy` for a bad uri or access mode, or when the result would put
 * a read-only grant inside a writable one (it could be written through the writable preopen), or when
 * the directory is too broad for `guard` (see `broadGrantProblem`: `/`, `/proc`, the server's own
 * directories, the home directory as a whole...).
 */
export function grantStorage(
  policy: Policy,
  uri: string,
  access: readonly string[],
  guard: GrantGuard = {},
): Policy {
  const canonical = storageUri(uri);
  const broad = broadGrantProblem(storagePath(canonical), guard);
  if (broad !== undefined) throw invalid(`uri: ${canonical} ${broad}`);
  if (access.length === 0) throw invalid('access: give at least one of read, write');
  const modes: AccessMode[] = [];
  for (const mode of access) {
    if (mode !== 'read' && mode !== 'write') {
      throw invalid(`access: unknown access mode "${mode}" (expected read or write)`);
    }
    if (!modes.includes(mode)) modes.push(mode);
  }
  const allow = [...(policy.permissions.storage?.allow ?? [])];
  const at = allow.findIndex((p) => p.uri === canonical);
  if (at === -1) allow.push({ uri: canonical, access: modes });
  else {
    const existing = allow[at] as StoragePermission;
    const merged = [...existing.access];
    for (const mode of modes) if (!merged.includes(mode)) merged.push(mode);
    allow[at] = { uri: canonical, access: merged };
  }
  const problem = storageNestingProblem(allow);
  if (problem !== undefined) throw invalid(problem);
  return withPermissions(policy, { ...policy.permissions, storage: { allow } });
}

/** Removes every grant on `uri`, whatever its access modes. Revoking what was never granted is a no-op. */
export function revokeStorage(policy: Policy, uri: string): Policy {
  const canonical = storageUri(uri);
  const allow = (policy.permissions.storage?.allow ?? []).filter((p) => p.uri !== canonical);
  const { storage: _, ...rest } = policy.permissions;
  return withPermissions(policy, allow.length === 0 ? rest : { ...rest, storage: { allow } });
}

/** Allows outgoing HTTP to `host` (see `NetworkPermission`). Granting twice is a no-op. */
export function grantNetwork(policy: Policy, host: string): Policy {
  const canonical = networkHost(host);
  const allow = [...(policy.permissions.network?.allow ?? [])];
  if (!allow.some((p) => p.host === canonical)) allow.push({ host: canonical });
  return withPermissions(policy, { ...policy.permissions, network: { allow } });
}

/** Removes the grant on exactly `host` (as granted: `https://x` and `x` are different grants). */
export function revokeNetwork(policy: Policy, host: string): Policy {
  const canonical = networkHost(host);
  const allow = (policy.permissions.network?.allow ?? []).filter((p) => p.host !== canonical);
  const { network: _, ...rest } = policy.permissions;
  return withPermissions(policy, allow.length === 0 ? rest : { ...rest, network: { allow } });
}

/** Lets the guest see environment variable `key`. Granting twice is a no-op. */
export function grantEnv(policy: Policy, key: string): Policy {
  checkEnvKey(key);
  const allow = [...(policy.permissions.environment?.allow ?? [])];
  if (!allow.some((p) => p.key === key)) allow.push({ key });
  return withPermissions(policy, { ...policy.permissions, environment: { allow } });
}

/** Hides environment variable `key` again. */
export function revokeEnv(policy: Policy, key: string): Policy {
  checkEnvKey(key);
  const allow = (policy.permissions.environment?.allow ?? []).filter((p) => p.key !== key);
  const { environment: _, ...rest } = policy.permissions;
  return withPermissions(policy, allow.length === 0 ? rest : { ...rest, environment: { allow } });
}

/** Deny-all again; keeps `version` and `description`. */
export function resetPolicy(policy: Policy): Policy {
  return withPermissions(policy, {});
}
