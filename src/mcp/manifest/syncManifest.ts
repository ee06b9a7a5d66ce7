/**
 * Makes a component directory match a manifest, without a server: what `serve --manifest` does before
 * it restores, and all that `wasmactor component sync` does.
 *
 * An entry is kept as stored — its source not read, nothing downloaded, so a restart works offline —
 * when the stored entry has the same source reference, its bytes are intact, and its digest is the one
 * the manifest pins (if it pins one). A local file is the one source read every time: when it is there
 * and its bytes changed (a rebuilt component), it is stored again; when it is gone, the stored copy is
 * kept (logged). A different stateful flag or policy rewrites the entry's metadata or policy around the
 * same bytes. Anything else is fetched from the source, checked (digest pin, decodable component) and
 * stored. Entries the manifest does not name are deleted (`removeOthers`, `component sync`) or left on
 * disk untouched and unused (`serve --manifest`).
 */
import {
  log,
  RuntimeError,
  readComponentSource,
  readComponentTypes,
  sha256,
  toolDefinitions,
} from '../../runtime/index.ts';
import { parsePolicy, serializePolicy } from '../../runtime/policy/index.ts';
import type { ComponentStore, StoredComponent } from '../ComponentStore.ts';
import { isValidComponentId } from '../ComponentStore.ts';
import { McpError } from '../McpError.ts';
import { type SourceFetcher, sourceFetcher } from './fetchSource.ts';
import type { Manifest, ManifestEntry } from './types.ts';

/** Options of `syncManifest`. */
export interface SyncOptions {
  /** Delete the stored components the manifest does not name (else they are left, and reported). */
  removeOthers: boolean;
  /** Largest component read or downloaded (`--max-component-size`). */
  maxComponentSize: number;
  /** How sources are read (default `sourceFetcher()`: the default time limit, no download cache). */
  fetch?: SourceFetcher;
}

/** One entry that could not be made to match: nothing of it was changed in the directory. */
export interface SyncFailure {
  id: string;
  /** `component ID (components[N], FILE:LINE): why`. */
  message: string;
}

/** What `syncManifest` did, id by id. */
export interface SyncReport {
  /** Read from their source and stored (new, or a different source or digest). */
  loaded: string[];
  /** Same bytes, new stateful flag or policy. */
  updated: { id: string; changed: ('stateful' | 'policy')[] }[];
  /** Already as the manifest says: nothing read but the directory. */
  kept: string[];
  /** Deleted from the directory: not in the manifest (`removeOthers`). */
  removed: string[];
  /** In the directory, not in the manifest, left there (without `removeOthers`). */
  ignored: string[];
  failed: SyncFailure[];
}

type Outcome = { action: 'loaded' | 'kept' } | { action: 'updated'; changed: ('stateful' | 'policy')[] };

/** The stored entry, or undefined when there is none or it is broken (it is then replaced). */
async function storedEntry(store: ComponentStore, id: string): Promise<StoredComponent | undefined> {
  try {
    return await store.get(id);
  } catch {
    return undefined;
  }
}

/** True when the stored policy is the same policy (compared parsed, so formatting does not count). */
async function samePolicy(store: ComponentStore, id: string, wanted: string): Promise<boolean> {
  try {
    return serializePolicy(parsePolicy(await store.policy(id))) === wanted;
  } catch {
    return false;
  }
}

/** A local source's bytes now, or undefined when the file is gone (the stored copy is then used). */
async function currentLocalBytes(
  entry: ManifestEntry,
  maxComponentSize: number,
): Promise<Uint8Array | undefined> {
  if (entry.source.kind !== 'file') return undefined;
  try {
    return (await readComponentSource({ path: entry.source.path }, { maxComponentSize })).bytes;
  } catch (error) {
    if (error instanceof RuntimeError && error.code === 'not-found') return undefined;
    throw error;
  }
}

/** Brings one entry of the directory in line with `entry`. */
async function syncEntry(
  store: ComponentStore,
  entry: ManifestEntry,
  options: SyncOptions,
): Promise<Outcome> {
  const policyText = serializePolicy(entry.policy);
  const stored = await storedEntry(store, entry.id);
  let local = await currentLocalBytes(entry, options.maxComponentSize);
  if (stored !== undefined && stored.metadata.source === entry.sourceText) {
    const intact = await store.readComponent(stored).then(
      () => true,
      () => false,
    );
    const digest = stored.metadata.sha256;
    const pinned = entry.sha256 === undefined || entry.sha256 === digest;
    const sameLocal = local === undefined || sha256(local) === digest;
    if (intact && pinned && sameLocal) {
      if (entry.source.kind === 'file' && local === undefined) {
        log.warn('the source of a manifest component is gone; its stored copy is used', {
          id: entry.id,
          source: entry.sourceText,
        });
      }
      const changed: ('stateful' | 'policy')[] = [];
      if (stored.metadata.stateful !== entry.stateful) changed.push('stateful');
      if (!(await samePolicy(store, entry.id, policyText))) changed.push('policy');
      if (changed.length === 0) return { action: 'kept' };
      await store.save(
        { ...stored.metadata, stateful: entry.stateful },
        { fromPath: stored.wasmPath },
        policyText,
      );
      return { action: 'updated', changed };
    }
  }
  let pinned: string | undefined;
  if (local === undefined) {
    const fetch = options.fetch ?? sourceFetcher();
    ({ bytes: local, pinned } = await fetch(entry, { maxComponentSize: options.maxComponentSize }));
  }
  const digest = sha256(local);
  // The fetcher checks a pin too; checked here once more, whichever way the bytes came (a local file).
  if (entry.sha256 !== undefined && digest !== entry.sha256) {
    throw new McpError(
      'digest-mismatch',
      `${entry.sourceText} has sha256 ${digest}, but the manifest pins ${entry.sha256}: nothing was stored (update the pin if the new component is the one you want)`,
    );
  }
  const { types } = await readComponentTypes(
    { bytes: local, name: entry.sourceText },
    { maxComponentSize: options.maxComponentSize },
  );
  await store.save(
    {
      version: 1,
      id: entry.id,
      source: entry.sourceText,
      ...(pinned === undefined ? {} : { pinned }),
      sha256: digest,
      stateful: entry.stateful,
      tools: toolDefinitions(types),
      loadedAt: new Date().toISOString(),
    },
    local,
    policyText,
  );
  return { action: 'loaded' };
}

/**
 * Makes `store` match `manifest` (see the file comment). An entry that fails is reported in `failed`
 * and left as it was; the others are still synced.
 */
export async function syncManifest(
  manifest: Manifest,
  store: ComponentStore,
  options: SyncOptions,
): Promise<SyncReport> {
  const report: SyncReport = { loaded: [], updated: [], kept: [], removed: [], ignored: [], failed: [] };
  for (const entry of manifest.components) {
    try {
      const outcome = await syncEntry(store, entry, options);
      if (outcome.action === 'updated') report.updated.push({ id: entry.id, changed: outcome.changed });
      else report[outcome.action].push(entry.id);
    } catch (error) {
      const why = error instanceof Error ? error.message : String(error);
      report.failed.push({
        id: entry.id,
        message: `component ${entry.id} (${entry.at.field}, ${manifest.path}:${entry.at.line}): ${why}`,
      });
    }
  }
  const named = new Set(manifest.components.map((c) => c.id));
  const { components, problems } = await store.list();
  const others = [...components.map((c) => c.metadata.id), ...problems.map((p) => p.id)]
    .filter((id) => !named.has(id) && isValidComponentId(id))
    .sort();
  for (const id of others) {
    if (options.removeOthers) {
      await store.remove(id);
      report.removed.push(id);
    } else report.ignored.push(id);
  }
  return report;
}
