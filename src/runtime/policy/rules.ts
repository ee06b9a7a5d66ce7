/**
 * The rules for the values inside a policy (storage uris, network hosts, environment keys, memory
 * quantities), shared by the parser and the grant functions. Each check answers with a problem
 * sentence (or undefined); callers add the field and line.
 */
import { posix } from 'node:path';
import type { StoragePermission } from './types.ts';

/** The result of a check: a value, or a sentence saying what is wrong with it. */
export type Checked<T> = { ok: true; value: T } | { ok: false; problem: string };

const FS_PREFIX = 'fs://';

/**
 * `fs:///abs/dir/` -> `fs:///abs/dir`. Refuses other schemes, relative paths (`fs://work/x` names the
 * relative path `work/x` in wassette), `..` segments and wildcards (a grant becomes a preopen, which is
 * one directory).
 */
export function canonicalStorageUri(uri: string): Checked<string> {
  if (!uri.startsWith(FS_PREFIX)) {
    return { ok: false, problem: `"${uri}" is not an fs:// uri (write fs:///absolute/path)` };
  }
  const path = uri.slice(FS_PREFIX.length);
  if (!path.startsWith('/')) {
    return {
      ok: false,
      problem: `"${uri}" is a relative fs:// path; write an absolute one: fs:///${path.replace(/^\.?\/*/, '')}`,
    };
  }
  if (path.includes('*')) {
    return { ok: false, problem: `"${uri}" has a wildcard; grant the directory itself (fs:///dir)` };
  }
  if (path.includes('\0')) return { ok: false, problem: `"${uri}" contains a NUL character` };
  if (path.split('/').some((segment) => segment === '..' || segment === '.')) {
    return { ok: false, problem: `"${uri}" has a "." or ".." segment; write the path it means` };
  }
  const normalized = posix.normalize(path);
  const trimmed = normalized.length > 1 ? normalized.replace(/\/+$/, '') : normalized;
  return { ok: true, value: FS_PREFIX + trimmed };
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

/** A parsed network grant. */
export interface NetworkHost {
  /** The grant as stored: lowercase, `scheme://` and `:port` only when given. */
  canonical: string;
  scheme?: 'http' | 'https';
  /** `api.example.com`, `*.example.com`, `127.0.0.1`, `[::1]`. */
  host: string;
  port?: number;
}

const HOST_NAME = /^(\*\.)?[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?(\.[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?)*$/;

/** `[https://]host[:port]`; no path, no user info, at most a leading `*.` wildcard. */
export function parseNetworkHost(text: string): Checked<NetworkHost> {
  const lower = text.trim().toLowerCase();
  const match = /^(?:([a-z][a-z0-9+.-]*):\/\/)?(\[[0-9a-f:.]+\]|[^:/[\]]+)(?::(\d+))?$/.exec(lower);
  if (lower === '' || !match) {
    return {
      ok: false,
      problem: `"${text}" is not a host (write api.example.com, api.example.com:8443 or https://api.example.com)`,
    };
  }
  const [, scheme, host = '', portText] = match;
  if (scheme !== undefined && scheme !== 'http' && scheme !== 'https') {
    return { ok: false, problem: `"${text}": only http and https can be granted, not ${scheme}` };
  }
  if (host === '*') {
    return { ok: false, problem: `"${text}": a grant to every host is refused; name the hosts` };
  }
  if (!host.startsWith('[') && !HOST_NAME.test(host)) {
    return {
      ok: false,
      problem: `"${text}": "${host}" is not a host name (a wildcard is allowed only as a leading "*.")`,
    };
  }
  const port = portText === undefined ? undefined : Number(portText);
  if (port !== undefined && (port < 1 || port > 65535)) {
    return { ok: false, problem: `"${text}": port ${portText} is out of range (1-65535)` };
  }
  const canonical = `${scheme === undefined ? '' : `${scheme}://`}${host}${port === undefined ? '' : `:${port}`}`;
  const value: NetworkHost = { canonical, host };
  if (scheme !== undefined) value.scheme = scheme as 'http' | 'https';
  if (port !== undefined) value.port = port;
  return { ok: true, value };
}

/** Environment keys: non-empty, no wildcard (as in wassette), nothing that cannot be a variable name. */
export function envKeyProblem(key: string): string | undefined {
  if (key === '') return 'an environment variable name cannot be empty';
  if (key.includes('*')) return `no wildcards allowed in environment keys: ${key}`;
  if (/[=\0]/.test(key)) return `"${key}" is not an environment variable name`;
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
    return {
      ok: false,
      problem: `"${text}" is not a memory quantity (write e.g. 512Mi, 1Gi or a number of bytes)`,
    };
  }
  const bytes = Math.floor(Number(match[1]) * (UNITS[match[2] ?? ''] ?? 1));
  if (bytes < WASM_PAGE) {
    return { ok: false, problem: `"${text}" is below one WebAssembly page (64Ki)` };
  }
  return { ok: true, value: bytes };
}
