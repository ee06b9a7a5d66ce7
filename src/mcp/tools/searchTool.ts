/**
 * `search-components {query?}` (wassette has it): the component artifacts of the registries given with
 * `serve --registry URL`, as `{name, source, description, versions}` that `load-component` accepts.
 * It reaches only those registries (and their token servers): with none configured it answers an empty
 * list and how to configure one. A registry that cannot be searched is named in `note`; the others answer.
 */
import type { McpServer, ServerContext } from '@modelcontextprotocol/server';
import type { Json } from '../../runtime/index.ts';
import { errorToResult } from '../errorResult.ts';
import { McpError } from '../McpError.ts';
import {
  ANNOTATION_DESCRIPTION,
  ANNOTATION_TITLE,
  ANNOTATION_VERSION,
  type ListedComponent,
  listRegistry,
} from '../sources/index.ts';
import { answer, object, sharedSchema } from './schemas.ts';

/** One search result. */
export interface FoundComponent {
  /** The repository path (`acme/notes`). */
  name: string;
  /** What to pass to `load-component`: `oci://REGISTRY/REPO:TAG`. */
  source: string;
  description: string;
  /** The tags, oldest-looking first (natural order). */
  versions: string[];
}

/** A whole search of every registry must finish within this. */
const SEARCH_TIMEOUT_MS = 30_000;

export const NO_REGISTRY_NOTE =
  'No registry is configured for search: start wasmactor with --registry URL (repeatable; oci://HOST[:PORT], https://HOST, or http://127.0.0.1:PORT for a local one). Any oci:// reference can still be loaded directly with load-component.';

const DESCRIPTION =
  'Search the WebAssembly components published in the OCI registries this server was started with (--registry): each result has a name, a source to pass to load-component as path, a description and the available versions (tags). query (optional) keeps the components whose name, title, description or source contain every word of it (case-insensitive).';

function found(component: ListedComponent): FoundComponent & { haystack: string } {
  const { annotations } = component;
  const description = annotations[ANNOTATION_DESCRIPTION] ?? '';
  const title = annotations[ANNOTATION_TITLE] ?? '';
  return {
    name: component.repository,
    source: component.source,
    description,
    versions: component.tags,
    haystack: [
      component.repository,
      title,
      description,
      component.source,
      annotations[ANNOTATION_VERSION] ?? '',
    ]
      .join('\n')
      .toLowerCase(),
  };
}

/** The components of `listings` that match every word of `query`. */
export function matching(listings: ListedComponent[], query: string | undefined): FoundComponent[] {
  const words = (query ?? '').toLowerCase().split(/\s+/).filter(Boolean);
  return listings
    .map(found)
    .filter((c) => words.every((word) => c.haystack.includes(word)))
    .map(({ haystack: _, ...component }) => component);
}

/** Registers `search-components` on `mcp`, searching `registries` (the `--registry` values). */
export function registerSearchTool(mcp: McpServer, registries: readonly string[]): void {
  const schema = object(
    { query: { type: 'string', description: 'Words to look for (default: list everything)' } },
    [],
  );
  mcp.registerTool(
    'search-components',
    { description: DESCRIPTION, inputSchema: sharedSchema<{ query?: string }>(schema) },
    async (args, ctx: ServerContext) => {
      if (registries.length === 0) return answer({ components: [], note: NO_REGISTRY_NOTE });
      try {
        const outcomes = await Promise.allSettled(
          registries.map((url) =>
            listRegistry(url, { timeoutMs: SEARCH_TIMEOUT_MS, signal: ctx.mcpReq.signal }),
          ),
        );
        const listed: ListedComponent[] = [];
        const notes: string[] = [];
        outcomes.forEach((outcome, i) => {
          if (outcome.status === 'fulfilled') {
            listed.push(...outcome.value.components);
            if (outcome.value.truncated)
              notes.push(`${outcome.value.registry} has more repositories than were searched.`);
          } else if (outcome.reason instanceof McpError) {
            // A cancelled search is answered as such, not as a note.
            if (outcome.reason.code === 'load-cancelled') throw outcome.reason;
            notes.push(`${registries[i]} could not be searched: ${outcome.reason.message}`);
          } else {
            throw outcome.reason;
          }
        });
        const components = matching(listed, args.query);
        const result: { [key: string]: Json } = { components: components as unknown as Json };
        if (notes.length > 0) result.note = notes.join(' ');
        return answer(result);
      } catch (error) {
        return errorToResult(error, 'search-components', 'Cannot search the registries');
      }
    },
  );
}
