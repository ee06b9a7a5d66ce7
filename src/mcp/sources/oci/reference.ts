/**
 * `oci://REGISTRY/REPO[:TAG][@sha256:HEX]`: parsing with the grammar of the OCI distribution spec, the
 * registry's base URL (https, or plain http on loopback only), and the pinned form.
 *
 * No tag and no digest means the tag `latest`, as docker, oras and wassette (the `oci-client` crate) read
 * it; a tag and a digest together pin the digest (the tag is kept only for the user's eyes).
 */
import { McpError } from '../../McpError.ts';
import { isLoopbackHost } from '../fetchBounded.ts';

/** `oci://REGISTRY/REPO:TAG` or `oci://REGISTRY/REPO@sha256:HEX`, parsed. */
export interface OciReference {
  /** `host[:port]`, as written. */
  registry: string;
  /** `a/b/c`. */
  repository: string;
  tag?: string;
  /** `sha256:HEX` when the reference pins one. */
  digest?: string;
}

/** The tag of a reference that names neither a tag nor a digest. */
export const DEFAULT_TAG = 'latest';

const SCHEME = 'oci://';
const HOST =
  /^(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*|\[[0-9a-fA-F:.]+\])(?::\d{1,5})?$/;
const COMPONENT = /^[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*$/;
const TAG = /^[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}$/;
const DIGEST = /^sha256:[a-f0-9]{64}$/;

function bad(text: string, why: string): McpError {
  return new McpError(
    'bad-path',
    `${text} is not a usable OCI reference: ${why} (the form is oci://REGISTRY/REPOSITORY[:TAG] or oci://REGISTRY/REPOSITORY@sha256:HEX)`,
  );
}

function checkRepository(text: string, repository: string): void {
  for (const part of repository.split('/')) {
    if (part === '') throw bad(text, `the repository "${repository}" has an empty path segment`);
    if (!COMPONENT.test(part)) {
      const hint = part !== part.toLowerCase() ? ' (repository names are lowercase)' : '';
      throw bad(
        text,
        `the repository segment "${part}" may hold only lowercase letters, digits and single . _ __ - separators${hint}`,
      );
    }
  }
}

/** Parses `oci://...`; throws `McpError('bad-path')` naming what is wrong. */
export function parseOciReference(text: string): OciReference {
  if (!text.startsWith(SCHEME)) throw bad(text, 'it does not start with oci://');
  let rest = text.slice(SCHEME.length);
  const slash = rest.indexOf('/');
  if (slash <= 0) throw bad(text, 'it names no repository after the registry');
  const registry = rest.slice(0, slash);
  if (!HOST.test(registry)) throw bad(text, `"${registry}" is not a registry host[:port]`);
  rest = rest.slice(slash + 1);
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!DIGEST.test(digest)) {
      throw bad(text, `"${digest}" is not a digest; write sha256: and 64 lowercase hex digits`);
    }
  }
  let tag: string | undefined;
  const colon = rest.lastIndexOf(':');
  if (colon >= 0) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!TAG.test(tag)) {
      throw bad(
        text,
        `"${tag}" is not a tag (letters, digits, _ . -, at most 128, not starting with . or -)`,
      );
    }
  }
  if (rest === '') throw bad(text, 'it names no repository after the registry');
  checkRepository(text, rest);
  if (tag === undefined && digest === undefined) tag = DEFAULT_TAG;
  return { registry, repository: rest, ...(tag === undefined ? {} : { tag }), ...(digest ? { digest } : {}) };
}

/** `oci://REGISTRY/REPO:TAG`, `oci://REGISTRY/REPO@DIGEST` or both, as parsed. */
export function formatOciReference(reference: OciReference): string {
  const tag = reference.tag === undefined ? '' : `:${reference.tag}`;
  const digest = reference.digest === undefined ? '' : `@${reference.digest}`;
  return `oci://${reference.registry}/${reference.repository}${tag}${digest}`;
}

/** The reference pinned to a manifest digest: `oci://REGISTRY/REPO@sha256:HEX`. */
export function pinnedReference(reference: OciReference, manifestDigest: string): string {
  return `oci://${reference.registry}/${reference.repository}@${manifestDigest}`;
}

/** Docker Hub is written `docker.io` but served from `registry-1.docker.io`. */
function apiHost(registry: string): string {
  return registry === 'docker.io' || registry === 'index.docker.io' ? 'registry-1.docker.io' : registry;
}

/** The registry's base URL: https, or plain http when the host is loopback (as container tools do). */
export function registryBaseUrl(registry: string): URL {
  const host = apiHost(registry);
  const hostname = new URL(`http://${host}`).hostname;
  return new URL(`${isLoopbackHost(hostname) ? 'http' : 'https'}://${host}/`);
}

/** The repository path the API uses (`library/` for Docker Hub's official images). */
export function apiRepository(reference: OciReference): string {
  const hub = reference.registry === 'docker.io' || reference.registry === 'index.docker.io';
  return hub && !reference.repository.includes('/')
    ? `library/${reference.repository}`
    : reference.repository;
}
