/**
 * The rules for the values inside a policy (storage uris, network hosts, environment keys, memory
 * quantities), shared by the parser and the grant functions. Each check answers with a problem
 * sentence (or undefined); callers add the field and line.
 */
import { posix } from 'node:path';
import type { StoragePermission } from './types.ts';

export { type NetworkHost, parseNetworkHost } from '../index.ts';

/**
 * The result of a check: a value, or what is wrong with it. `problem` is a predicate that never repeats
 * the checked text ("is a relative fs:// path; ..."), so the policy parser can show it about a file's
 * content without echoing that content; `fix` may rewrite the text (a suggested value), and is shown only
 * by callers that check what the user typed (the grant functions). See `describeProblem`.
 */
export type Checked<T> = { ok: true; value: T } | { ok: false; problem: string; fix?: string };

/** At most 64 characters of a value the user typed, quoted, for messages about it. */
export function quoted(text: string): string {
  return JSON.stringify(text.length > 64 ? `${text.slice(0, 64)}...` : text);
}

/** `"fs://rel" is a relative fs:// path ...; did you mean "fs:///rel"?`: about text the user typed. */
export function describeProblem(text: string, failed: { problem: string; fix?: string }): string {
  return `${quoted(text)} ${failed.problem}${failed.fix === undefined ? '' : `; did you mean ${quoted(failed.fix)}?`}`;
}

const FS_PREFIX = 'fs://';

/**
 * `fs:///abs/dir/` -> `fs:///abs/dir`. Refuses other schemes, relative paths (`fs://work/x` names the
 * relative path `work/x` in wassette), `..` segments and wildcards (a grant becomes a preopen, which is
 * one directory).
 */
export function canonicalStorageUri(uri: string): Checked<string> {
  if (!uri.startsWith(FS_PREFIX)) {
    return { ok: false, problem: 'is not an fs:// uri (write fs:///absolute/path)' };
  }
  const path = uri.slice(FS_PREFIX.length);
  if (!path.startsWith('/')) {
    return {
      ok: false,
      problem: 'is a relative fs:// path; write an absolute one (fs:///absolute/path)',
      fix: `fs:///${path.replace(/^\.?\/*/, '')}`,
    };
  }
  if (path.includes('*')) {
    return { ok: false, problem: 'has a wildcard; grant the directory itself (fs:///dir)' };
  }
  if (path.includes('\0')) return { ok: false, problem: 'contains a NUL character' };
  if (path.split('/').some((segment) => segment === '..' || segment === '.')) {
    return { ok: false, problem: 'has a "." or ".." segment; write the path it means' };
  }
  const normalized = posix.normalize(path);
  const trimmed = normalized.length > 1 ? normalized.replace(/\/+$/, '') : normalized;
  return { ok: true, value: FS_PREFIX + trimmed };
}

/**
 * What a storage grant must not reach unless the server allows broad grants. The policy functions are
 * pure: the server passes its own directories and the home directory in.
 */
export interface GrantGuard {
  /** Allow every directory (`--allow-broad-grants`). Default false. */
  allowBroadGrants?: boolean;
  /**
   * The server's own directories (component store, config, secrets, transpile cache): a grant may not
   * be one of them, lie inside one, or contain one.
   */
  serverDirs?: readonly string[];
  /** The home directory of the server's user: a grant may not be it or contain it (inside is fine). */
  home?: string;
}

/** The flag that lets the server accept the grants `broadGrantProblem` refuses. */
export const ALLOW_BROAD_GRANTS_FLAG = '--allow-broad-grants';

/** Kernel interfaces: `/proc/self/root` alone reaches the whole file system. */
const SYSTEM_DIRS = ['/proc', '/sys', '/dev'];

/**
 * Why a grant on `path` (absolute, normalized) is too broad, or undefined. Refused: `/`; `/proc`,
 * `/sys`, `/dev` and anything inside them; the server's own directories, anything inside them and any
 * directory containing one; the home directory and any directory containing it. The sentence names
 * the flag that allows it anyway, and never the path (callers add it when they may).
 */
export function broadGrantProblem(path: string, guard: GrantGuard = {}): string | undefined {
  if (guard.allowBroadGrants) return undefined;
  const within = (dir: string) => path === dir || isInside(path, dir);
  const refuse = (what: string) =>
    `grants ${what}, which is refused; grant a narrower directory, or start the server with ${ALLOW_BROAD_GRANTS_FLAG}`;
  if (path === '/') return refuse('the whole file system');
  if (SYSTEM_DIRS.some(within)) return refuse('a kernel interface directory (/proc, /sys, /dev)');
  for (const raw of guard.serverDirs ?? []) {
    const dir = posix.normalize(raw).replace(/(.)\/+$/, '$1');
    if (within(dir) || isInside(dir, path)) return refuse("the server's own data, config, secrets or cache");
  }
  if (guard.home !== undefined) {
    const home = posix.normalize(guard.home).replace(/(.)\/+$/, '$1');
    if (path === home || isInside(home, path)) return refuse('the home directory as a whole');
  }
  return undefined;
}

/** The absolute host path of a canonical `fs://` uri. */
export function storagePath(uri: string): string {
  return uri.slice(FS_PREFIX.length);
}

/** True when `inner` lies strictly inside directory `outer` (both absolute, normalized). */
export function isInside(inner: string, outer: string): boolean {
  if (inner === outer) return false;
  return outer === '/' ? inner.startsWith('/') : inner.startsWith(`${outer}/`);
}

/**
 * A preopen cannot be read-only below a writable preopen: the guest would open the same file through
 * the writable one. Such a policy is refused (not silently widened or narrowed) so the user decides.
 */
export function nestingProblem(
  grants: readonly { path: string; label: string; writable: boolean }[],
): string | undefined {
  for (const ro of grants) {
    if (ro.writable) continue;
    const outer = grants.find(
      (w) => w !== ro && w.writable && (w.path === ro.path || isInside(ro.path, w.path)),
    );
    if (outer !== undefined) {
      return (
        `${ro.label} is read-only but lies inside the writable grant ${outer.label}, through which it ` +
        `could be written; grant write on ${ro.label} as well, or revoke one of the two`
      );
    }
  }
  return undefined;
}

/** The nesting problem of a storage allow list, if any (see `nestingProblem`). */
export function storageNestingProblem(allow: readonly StoragePermission[]): string | undefined {
  return nestingProblem(
    allow.map((p) => ({ path: storagePath(p.uri), label: p.uri, writable: p.access.includes('write') })),
  );
}

/** Longest environment variable name a policy may grant. */
export const MAX_ENV_KEY_LENGTH = 256;

/**
 * Environment keys: `[A-Za-z_][A-Za-z0-9_]*`, at most 256 characters (no wildcard, as in wassette).
 * The problem never repeats the key.
 */
export function envKeyProblem(key: string): string | undefined {
  if (key === '') return 'is empty; an environment variable needs a name';
  if (key.length > MAX_ENV_KEY_LENGTH) return `is longer than ${MAX_ENV_KEY_LENGTH} characters`;
  if (key.includes('*')) return 'has a wildcard; no wildcards are allowed in environment keys';
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(key)) {
    return 'is not an environment variable name (letters, digits and "_", not starting with a digit)';
  }
  return undefined;
}

const UNITS: Record<string, number> = {
  '': 1,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
};

/** WebAssembly page size: a memory cap below one page cannot be honoured. */
export const WASM_PAGE = 65536;

/** `512Mi` -> 536870912. Kubernetes quantities: plain bytes, `k M G T`, `Ki Mi Gi Ti`. */
export function parseMemoryQuantity(text: string): Checked<number> {
  const match = /^(\d+(?:\.\d+)?)(k|M|G|T|Ki|Mi|Gi|Ti)?$/.exec(text.trim());
  if (!match) {
    return { ok: false, problem: 'is not a memory quantity (write e.g. 512Mi, 1Gi or a number of bytes)' };
  }
  const bytes = Math.floor(Number(match[1]) * (UNITS[match[2] ?? ''] ?? 1));
  if (bytes < WASM_PAGE) {
    return { ok: false, problem: 'is below one WebAssembly page (64Ki)' };
  }
  return { ok: true, value: bytes };
}
