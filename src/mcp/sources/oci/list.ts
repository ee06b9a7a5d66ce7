/**
 * `listRegistry`: the component artifacts a registry holds, for `search-components`: the repositories of
 * `/v2/_catalog` (pages followed through `Link`, only on the registry's own origin), the tags of each,
 * and the manifest annotations of one tag (`latest` when there is one, else the last tag). Repositories
 * whose manifest is not a component artifact (container images...) are left out.
 */
import { McpError, type McpErrorCode } from '../../McpError.ts';
import { isLoopbackHost } from '../fetchBounded.ts';
import {
  chooseFromIndex,
  type FetchedManifest,
  fetchManifest,
  isIndex,
  MANIFEST_MAX_BYTES,
  stringAnnotations,
  tagsOf,
  wasmLayer,
} from './manifest.ts';
import { RegistrySession } from './RegistrySession.ts';
import { DEFAULT_TAG, parseOciReference } from './reference.ts';

/** Options of `listRegistry`. */
export interface OciListOptions {
  timeoutMs: number;
  signal?: AbortSignal | undefined;
  dockerConfigPath?: string;
  /** Repositories looked at, at most (default 500); `truncated` says when there were more. */
  maxRepositories?: number;
  /** Repositories asked per catalog page (default 100). */
  pageSize?: number;
}

/** One component repository of a registry. */
export interface ListedComponent {
  /** `a/b/c`. */
  repository: string;
  /** `oci://REGISTRY/REPO:TAG` of the tag whose annotations are given. */
  source: string;
  tags: string[];
  annotations: Record<string, string>;
}

/** What `listRegistry` found. */
export interface RegistryListing {
  /** `host[:port]`. */
  registry: string;
  components: ListedComponent[];
  /** The catalog had more repositories than were looked at. */
  truncated: boolean;
}

const PAGE = 100;
const DEFAULT_MAX_REPOSITORIES = 500;
const PARALLEL = 4;
/** Failures that leave one repository out of the listing instead of failing it. */
const SKIPPED: readonly McpErrorCode[] = [
  'source-invalid',
  'source-not-found',
  'digest-mismatch',
  'source-denied',
];

/** `oci://HOST[:PORT]`, `https://HOST`, `http://LOOPBACK[:PORT]` or `HOST[:PORT]` -> `host[:port]`. */
export function parseRegistryUrl(text: string): string {
  const bad = (why: string) =>
    new McpError(
      'bad-path',
      `--registry ${text}: ${why} (write oci://HOST[:PORT], https://HOST or HOST[:PORT])`,
    );
  let url: URL;
  try {
    url = new URL(/^[a-z]+:\/\//i.test(text) ? text.replace(/^oci:/i, 'https:') : `https://${text}`);
  } catch {
    throw bad('not a registry address');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:')
    throw bad(`${url.protocol} is not a registry scheme`);
  if (url.pathname !== '/' || url.search !== '' || url.username !== '')
    throw bad('a registry is a host and a port, no path');
  // The same host rule as references: checked by parsing one (http:// is only allowed on loopback).
  const registry = url.host;
  parseOciReference(`oci://${registry}/x`);
  if (url.protocol === 'http:' && !isLoopbackHost(url.hostname)) {
    throw bad('plain http:// is allowed for loopback registries only');
  }
  return registry;
}

/** What is wrong with the first bad `--registry` value, or undefined when every one is usable. */
export function registriesProblem(values: readonly string[]): string | undefined {
  for (const value of values) {
    try {
      parseRegistryUrl(value);
    } catch (error) {
      if (error instanceof McpError) return error.message;
      throw error;
    }
  }
  return undefined;
}

/** The next page of a paginated answer, from its `Link: <...>; rel="next"` header, on `base`'s origin only. */
export function nextPage(link: string | null, current: URL, base: URL): URL | undefined {
  const match = link === null ? null : /<([^>]+)>\s*;\s*rel="?next"?/.exec(link);
  if (!match?.[1]) return undefined;
  const next = new URL(match[1], current);
  // Never reach outside the configured registry, whatever it says.
  return next.origin === base.origin ? next : undefined;
}

async function catalog(
  session: RegistrySession,
  max: number,
  pageSize: number,
): Promise<{ repositories: string[]; truncated: boolean }> {
  const repositories: string[] = [];
  let page: URL | undefined = new URL(`/v2/_catalog?n=${pageSize}`, session.base);
  while (page !== undefined && repositories.length < max) {
    const response = await session.send(page, {
      what: `the catalog of ${session.registry}`,
      maxBytes: MANIFEST_MAX_BYTES,
    });
    if (response.status === 404) {
      throw new McpError(
        'source-not-found',
        `${session.registry} has no catalog (/v2/_catalog answered 404): this registry cannot be searched; load its components by reference`,
      );
    }
    const listed = (JSON.parse(Buffer.from(response.body).toString('utf8')) as { repositories?: unknown })
      .repositories;
    if (Array.isArray(listed)) repositories.push(...listed.filter((r): r is string => typeof r === 'string'));
    page = nextPage(response.headers.get('link'), response.url, session.base);
  }
  return {
    repositories: repositories.slice(0, max),
    truncated: repositories.length > max || page !== undefined,
  };
}

function naturalOrder(a: string, b: string): number {
  return a.localeCompare(b, 'en', { numeric: true });
}

async function describe(session: RegistrySession, repository: string): Promise<ListedComponent | undefined> {
  const answer = await session.send(`/v2/${repository}/tags/list`, {
    what: `the tags of ${session.registry}/${repository}`,
    maxBytes: MANIFEST_MAX_BYTES,
  });
  const tags = answer.status === 404 ? [] : tagsOf(answer.body).sort(naturalOrder);
  const tag = tags.includes(DEFAULT_TAG) ? DEFAULT_TAG : tags.at(-1);
  if (tag === undefined) return undefined;
  const label = `oci://${session.registry}/${repository}:${tag}`;
  try {
    let manifest: FetchedManifest = await fetchManifest(session, repository, tag);
    if (isIndex(manifest))
      manifest = await fetchManifest(session, repository, chooseFromIndex(manifest, label).digest);
    wasmLayer(manifest.document, label);
    return { repository, source: label, tags, annotations: stringAnnotations(manifest.document) };
  } catch (error) {
    // Not a component artifact, gone since the catalog was read, altered, or private: not a search result.
    if (error instanceof McpError && SKIPPED.includes(error.code)) return undefined;
    throw error;
  }
}

/** Lists the component artifacts of `registryUrl` (see `parseRegistryUrl` for its forms). */
export async function listRegistry(registryUrl: string, options: OciListOptions): Promise<RegistryListing> {
  const registry = parseRegistryUrl(registryUrl);
  const session = new RegistrySession(registry, options);
  const { repositories, truncated } = await catalog(
    session,
    options.maxRepositories ?? DEFAULT_MAX_REPOSITORIES,
    options.pageSize ?? PAGE,
  );
  const components: ListedComponent[] = [];
  for (let i = 0; i < repositories.length; i += PARALLEL) {
    const found = await Promise.all(
      repositories.slice(i, i + PARALLEL).map((repo) => describe(session, repo)),
    );
    for (const component of found) if (component) components.push(component);
  }
  return { registry, components, truncated };
}
