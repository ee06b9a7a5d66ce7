/**
 * What a component source string names, decided before anything is read or downloaded: a file (a path
 * or `file://`), an `https://` URL (optionally pinned with `#sha256=HEX`), plain `http://` on a loopback
 * host only, or an `oci://REGISTRY/REPO[:TAG|@sha256:DIGEST]` reference. Each gets the component id it
 * stands for: the file stem for files and URLs, the repository's last segment for OCI (DESIGN.md).
 */
import { basename, extname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isValidComponentId } from '../ComponentStore.ts';
import { McpError } from '../McpError.ts';
import { isLoopbackHost } from './fetchBounded.ts';
import { formatOciReference, type OciReference, parseOciReference } from './oci/index.ts';

/** A parsed component source. */
export type SourceReference =
  | { kind: 'file'; path: string; id: string }
  | { kind: 'url'; url: URL; id: string; sha256?: string }
  | { kind: 'oci'; reference: OciReference; id: string };

/** The argument a source came in, for messages: `path` (load-component), `source` (a manifest). */
export interface SourceArgument {
  argument: string;
}

const PATH_ARGUMENT: SourceArgument = { argument: 'path' };

/** `HEX` or `sha256:HEX` (64 hex digits, any case) as lowercase hex, or undefined when it is neither. */
export function normalizeSha256(text: string): string | undefined {
  const hex = text.trim().replace(/^sha256:/i, '');
  return /^[0-9a-fA-F]{64}$/.test(hex) ? hex.toLowerCase() : undefined;
}

/** The id a file name stands for, or a `bad-path` error naming where the name came from. */
function idFromName(name: string, from: string): string {
  const stem = basename(name, extname(name));
  if (!isValidComponentId(stem)) {
    throw new McpError(
      'bad-path',
      `cannot use "${stem}" as a component id (${from}): use letters, digits, ".", "_" and "-", starting with a letter, digit or "_"`,
    );
  }
  return stem;
}

function parseUrl(text: string, scheme: 'https' | 'http', { argument }: SourceArgument) {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new McpError('bad-path', `${argument} "${text}" is not a valid URL`);
  }
  if (scheme === 'http' && !isLoopbackHost(url.hostname)) {
    throw new McpError(
      'bad-path',
      `plain http:// is only allowed for loopback hosts (127.0.0.1, localhost, [::1]), not ${url.hostname}: use https://`,
    );
  }
  if (url.username !== '' || url.password !== '') {
    throw new McpError(
      'bad-path',
      `${argument} "${url.host}${url.pathname}" carries credentials (user:password@): they would be stored in the component directory; remove them`,
    );
  }
  let sha256: string | undefined;
  if (url.hash !== '') {
    const pin = /^#sha256=(.*)$/i.exec(url.hash)?.[1];
    sha256 = pin === undefined ? undefined : normalizeSha256(pin);
    if (sha256 === undefined) {
      throw new McpError(
        'bad-path',
        `the fragment of ${argument} must be #sha256=<64 hex digits> (the component's digest), not "${url.hash}"`,
      );
    }
    url.hash = '';
  }
  const segment = url.pathname.split('/').pop() ?? '';
  if (segment === '') {
    throw new McpError(
      'bad-path',
      `cannot derive a component id from ${url.href}: its path does not end in a file name (…/name.wasm)`,
    );
  }
  let name: string;
  try {
    name = decodeURIComponent(segment);
  } catch {
    name = segment;
  }
  const id = idFromName(name, `the file name at the end of ${url.href}`);
  return sha256 === undefined ? { kind: 'url' as const, url, id } : { kind: 'url' as const, url, id, sha256 };
}

function parseOci(text: string): SourceReference {
  const reference = parseOciReference(text);
  const last = reference.repository.split('/').pop() ?? '';
  if (!isValidComponentId(last)) {
    throw new McpError(
      'bad-path',
      `cannot use "${last}" as a component id (the last segment of the repository ${reference.repository}): use letters, digits, ".", "_" and "-"`,
    );
  }
  return { kind: 'oci', reference, id: last };
}

/**
 * Parses a component source (relative paths against `cwd`); throws `McpError('bad-path')` naming the
 * argument and the fix for an empty string, an unknown scheme, plain http to a non-loopback host, a
 * fragment other than `#sha256=`, credentials in a URL, or a name that cannot be a component id.
 */
export function parseSourceReference(
  text: string,
  cwd = process.cwd(),
  where: SourceArgument = PATH_ARGUMENT,
): SourceReference {
  const trimmed = text.trim();
  const forms = 'a .wasm file path, file://, https://…/name.wasm or oci://REGISTRY/REPO:TAG';
  if (trimmed === '') throw new McpError('bad-path', `${where.argument} is empty; give ${forms}`);
  const scheme = /^([a-zA-Z][a-zA-Z0-9+.-]*):\/\//.exec(trimmed)?.[1]?.toLowerCase();
  if (scheme === undefined) {
    const path = resolve(cwd, trimmed);
    return { kind: 'file', path, id: idFromName(path, 'the file name without extension') };
  }
  switch (scheme) {
    case 'file': {
      let path: string;
      try {
        path = fileURLToPath(trimmed);
      } catch (error) {
        throw new McpError(
          'bad-path',
          `"${trimmed}" is not a valid file:// URI (${(error as Error).message})`,
        );
      }
      return { kind: 'file', path, id: idFromName(path, 'the file name without extension') };
    }
    case 'https':
    case 'http':
      return parseUrl(trimmed, scheme, where);
    case 'oci':
      return parseOci(trimmed);
    default:
      throw new McpError('bad-path', `unknown scheme "${scheme}://" in ${where.argument}; give ${forms}`);
  }
}

/** The reference written back in its canonical form (what the component directory records). */
export function canonicalSource(reference: SourceReference): string {
  switch (reference.kind) {
    case 'file':
      return reference.path;
    case 'url':
      return reference.url.href;
    case 'oci':
      return formatOciReference(reference.reference);
  }
}
