/**
 * The one grammar of network hosts: what a grant may name (`parseNetworkHost`, used by the policy to
 * validate grants) and whether an outgoing request's authority is covered by the granted hosts
 * (`isHostAllowed`, used by the sandbox on every wasi:http request). Both sides read hosts with the same
 * code, so a grant means exactly what the sandbox enforces.
 *
 * A grant is `[http(s)://]host[:port][/path]`: lowercase after parsing, no user info, a wildcard only
 * as a leading `*.` (any subdomain, not the domain itself); without a port it allows every port, without
 * a scheme both schemes. A path (`https://api.example.com/v1/`, or only a trailing `/`, as wassette's
 * policy files write URLs) is accepted and dropped: a grant means a host, never part of one, so the
 * stored grant is `https://api.example.com` and covers every path on that host. The authority of a
 * request never has a path (`isHostAllowed` refuses one).
 */

/** A parsed network host (a grant, or the authority of a request). */
export interface NetworkHost {
  /** The grant as stored: lowercase, `scheme://` and `:port` only when given. */
  canonical: string;
  scheme?: 'http' | 'https';
  /** `api.example.com`, `*.example.com`, `127.0.0.1`, `[::1]`. */
  host: string;
  port?: number;
  /** True when the text had a path (or query) after the authority; the grant ignores it. */
  hadPath?: boolean;
}

/**
 * A parsed host, or what is wrong with the text. `problem` is a predicate that never repeats the text
 * ("is not a host name (...)"), so a caller can show it about text it must not echo (a file's content).
 */
export type HostCheck = { ok: true; value: NetworkHost } | { ok: false; problem: string };

const HOST_NAME = /^(\*\.)?[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?(\.[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?)*$/;
const HOST_PATTERN = /^(?:([a-z][a-z0-9+.-]*):\/\/)?(\[[0-9a-f:.]+\]|[^:/?#[\]]+)(?::(\d+))?([/?#]\S*)?$/;
const EXAMPLES = 'write api.example.com, api.example.com:8443 or https://api.example.com';

/** `[https://]host[:port][/path]`; no user info, at most a leading `*.` wildcard; a path is dropped. */
export function parseNetworkHost(text: string): HostCheck {
  const lower = text.trim().toLowerCase();
  const match = HOST_PATTERN.exec(lower);
  if (lower === '' || !match) return { ok: false, problem: `is not a host (${EXAMPLES})` };
  const [, scheme, host = '', portText, path] = match;
  if (scheme !== undefined && scheme !== 'http' && scheme !== 'https') {
    return { ok: false, problem: 'has a scheme that cannot be granted: only http and https can' };
  }
  if (host === '*') return { ok: false, problem: 'grants every host, which is refused; name the hosts' };
  if (!host.startsWith('[') && !HOST_NAME.test(host)) {
    return { ok: false, problem: 'is not a host name (a wildcard is allowed only as a leading "*.")' };
  }
  const port = portText === undefined ? undefined : Number(portText);
  if (port !== undefined && (port < 1 || port > 65535)) {
    return { ok: false, problem: 'has a port out of range (1-65535)' };
  }
  const canonical = `${scheme === undefined ? '' : `${scheme}://`}${host}${port === undefined ? '' : `:${port}`}`;
  const value: NetworkHost = { canonical, host };
  if (scheme !== undefined) value.scheme = scheme as 'http' | 'https';
  if (port !== undefined) value.port = port;
  if (path !== undefined) value.hadPath = true;
  return { ok: true, value };
}

/** True when the grant's host covers `host` (exactly, or as a subdomain of a `*.` grant). */
function hostMatches(grant: string, host: string): boolean {
  return grant.startsWith('*.') ? host.endsWith(grant.slice(1)) : grant === host;
}

/**
 * True when `authority` (`host` or `host:port` of an outgoing request) with `scheme` is allowed by one
 * of `allowedHosts` (grants in the form `parseNetworkHost` reads). An authority that is not a plain
 * host (a wildcard, user info, a path, a bad port) is never allowed; neither is a grant that does not
 * parse.
 */
export function isHostAllowed(
  authority: string | undefined,
  allowedHosts: readonly string[],
  scheme?: string,
): boolean {
  if (!authority) return false;
  const wanted = parseNetworkHost(authority);
  if (!wanted.ok || wanted.value.scheme !== undefined || wanted.value.hadPath) return false;
  if (wanted.value.host.startsWith('*')) return false;
  const { host, port } = wanted.value;
  return allowedHosts.some((entry) => {
    const grant = parseNetworkHost(entry);
    if (!grant.ok) return false;
    if (grant.value.scheme !== undefined && grant.value.scheme !== scheme?.toLowerCase()) return false;
    return (
      hostMatches(grant.value.host, host) && (grant.value.port === undefined || grant.value.port === port)
    );
  });
}
