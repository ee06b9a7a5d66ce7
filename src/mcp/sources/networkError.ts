/**
 * What a failed connection means to the user. `node:http`/`node:https` errors carry the system or TLS error
 * code directly (other clients nest it in `cause`, which is walked too); the code alone decides the text.
 */
import { McpError } from '../McpError.ts';

const TRUST_HINT =
  'if you trust the certificate authority that signed it, start wasmactor with NODE_EXTRA_CA_CERTS=/path/ca.pem';

/** TLS error codes of Node/OpenSSL and what each says about the server's certificate. */
const TLS_CAUSES: Record<string, string> = {
  DEPTH_ZERO_SELF_SIGNED_CERT: 'its certificate is self-signed',
  SELF_SIGNED_CERT_IN_CHAIN: 'its certificate chain ends in a self-signed CA that is not trusted',
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'its certificate is signed by an unknown CA',
  UNABLE_TO_GET_ISSUER_CERT: 'its certificate is signed by an unknown CA',
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: 'its certificate is signed by an unknown CA',
  CERT_HAS_EXPIRED: 'its certificate has expired',
  CERT_NOT_YET_VALID: 'its certificate is not valid yet',
  CERT_REVOKED: 'its certificate was revoked',
};

/**
 * The ports that the Fetch standard refuses to connect to, whatever the scheme (kept as a rule although
 * downloads now go through `node:http`), checked before connecting to say which port and why.
 */
const BLOCKED_PORTS = new Set([
  1, 7, 9, 11, 13, 15, 17, 19, 20, 21, 22, 23, 25, 37, 42, 43, 53, 69, 77, 79, 87, 95, 101, 102, 103, 104,
  109, 110, 111, 113, 115, 117, 119, 123, 135, 137, 139, 143, 161, 179, 389, 427, 465, 512, 513, 514, 515,
  526, 530, 531, 532, 540, 548, 554, 556, 563, 587, 601, 636, 989, 990, 993, 995, 1719, 1720, 1723, 2049,
  3659, 4045, 5060, 5061, 6000, 6566, 6665, 6666, 6667, 6668, 6669, 6697, 10080,
]);

/** Refuses a URL on a port that fetch never connects to (SSH, SMTP, X11...), naming the port. */
export function checkPort(url: URL): void {
  if (url.port !== '' && BLOCKED_PORTS.has(Number(url.port))) {
    throw new McpError(
      'bad-path',
      `${url.href} uses port ${url.port}, which fetch refuses for safety (the "bad ports" of the Fetch standard: SSH, SMTP, X11...); serve the registry or file on another port`,
    );
  }
}

/** The first `code` found along the `cause` chain. */
function errorCode(error: unknown): string | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 5 && typeof current === 'object' && current !== null; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

function hostOf(url: URL): string {
  return url.port ? `${url.hostname}:${url.port}` : url.hostname;
}

/** Turns a failed request to `url` (not an abort) into a `source-unreachable` error with advice. */
export function networkError(url: URL, error: unknown): McpError {
  const code = errorCode(error);
  const options = { cause: error };
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') {
    return new McpError(
      'source-unreachable',
      `cannot resolve host "${url.hostname}" (${code}): check the spelling of the host and that this machine can reach it`,
      options,
    );
  }
  if (code === 'ECONNREFUSED') {
    return new McpError(
      'source-unreachable',
      `the connection to ${hostOf(url)} was refused (ECONNREFUSED): is the server running on that port?`,
      options,
    );
  }
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID') {
    return new McpError(
      'source-unreachable',
      `TLS failure with ${hostOf(url)}: its certificate does not name the host "${url.hostname}" (hostname mismatch); use the host name the certificate was made for`,
      options,
    );
  }
  const tls = code === undefined ? undefined : TLS_CAUSES[code];
  if (tls !== undefined) {
    return new McpError(
      'source-unreachable',
      `TLS failure with ${hostOf(url)}: ${tls} (${code}); ${TRUST_HINT}`,
      options,
    );
  }
  if (code?.startsWith('ERR_SSL') || code?.startsWith('ERR_TLS')) {
    return new McpError(
      'source-unreachable',
      `TLS failure with ${hostOf(url)} (${code}); ${TRUST_HINT}`,
      options,
    );
  }
  const why = code ?? (error instanceof Error ? error.message : String(error));
  return new McpError(
    'source-unreachable',
    `cannot reach ${url.href} (${why}): check the URL and the network, then try again`,
    options,
  );
}
