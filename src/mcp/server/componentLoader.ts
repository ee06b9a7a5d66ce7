/** Loading and unloading components: the host, the component directory and the tool lists in step. */
import { basename } from 'node:path';
import type { ComponentHost, LoadResult } from '../../machines/index.ts';
import { log, readComponentSource, sha256 } from '../../runtime/index.ts';
import { serializePolicy } from '../../runtime/policy/index.ts';
import type { ComponentStore } from '../ComponentStore.ts';
import { type ComponentLocation, resolveComponentPath } from '../componentPath.ts';
import { McpError } from '../McpError.ts';
import type { LoadReport, ProgressSink } from '../types.ts';
import type { PolicyBook } from './PolicyBook.ts';

/** What loading and unloading work on. */
export interface LoaderContext {
  host: ComponentHost;
  store: ComponentStore | undefined;
  policies: PolicyBook;
  /** Brings every connected client's tool list in line with the host (and tells them). */
  syncTools(): void;
  /** Largest component file read, in bytes (default: the runtime's, 256 MiB). */
  maxComponentSize?: number;
}

/** A load request of `load-component`. */
export interface LoadRequest {
  path: string;
  stateful: boolean;
  onProgress?: ProgressSink | undefined;
  policyPath?: string | undefined;
  /** The client cancelled: the load is abandoned, the component left unloaded, nothing stored. */
  signal?: AbortSignal | undefined;
}

/** Throws `load-cancelled` once the client has cancelled the load of `id`. */
function checkCancelled(id: string, signal: AbortSignal | undefined): void {
  if (signal?.aborted) {
    throw new McpError(
      'load-cancelled',
      `The load of ${id} was cancelled by the client: ${id} is not loaded and nothing was stored.`,
    );
  }
}

/**
 * Loads (or reloads) a component from a file path or `file://` URI and persists it. The id is the file
 * stem. Tools are registered and `tools/list_changed` is queued before this resolves. The whole load —
 * policy read, host load, write to the component directory — is one change of the component, after
 * the changes to it that arrived before (see `PolicyBook.serialize`): a reload never starts from a
 * policy that a concurrent grant or revoke is about to replace, and two loads never write the same
 * entry at once.
 */
export async function loadComponent(context: LoaderContext, request: LoadRequest): Promise<LoadReport> {
  const location = resolveComponentPath(request.path);
  return context.policies.serialize(location.id, () => loadNow(context, location, request));
}

/** `loadComponent` once it is this load's turn. */
async function loadNow(
  context: LoaderContext,
  location: ComponentLocation,
  request: LoadRequest,
): Promise<LoadReport> {
  const { host, policies } = context;
  const { bytes } = await readComponentSource(
    { path: location.path },
    context.maxComponentSize === undefined ? {} : { maxComponentSize: context.maxComponentSize },
  );
  // A refused policy stops the load here: the component (if loaded) keeps running with its old policy.
  const given = await policies.forLoad(location.path, request.policyPath);
  const sandbox = given
    ? await policies.sandboxOf(location.id, given.policy)
    : await policies.sandboxFor(location.id);
  checkCancelled(location.id, request.signal);
  const digest = sha256(bytes);
  // A cancel while the host loads ends that load (as an unload does); after it, the load is undone.
  const cancel = () => void host.unload(location.id).catch(() => false);
  request.signal?.addEventListener('abort', cancel, { once: true });
  let result: LoadResult;
  try {
    result = await host.load({
      id: location.id,
      // Hashed here once: the runtime keys its transpile cache with it, the store records it.
      source: { bytes, name: basename(location.path), sha256: digest },
      stateful: request.stateful,
      sandbox,
      onProgress: request.onProgress,
    });
  } catch (error) {
    checkCancelled(location.id, request.signal);
    throw error;
  } finally {
    request.signal?.removeEventListener('abort', cancel);
    context.syncTools();
  }
  if (request.signal?.aborted) {
    await host.unload(location.id).finally(() => context.syncTools());
    checkCancelled(location.id, request.signal);
  }
  await save(
    context,
    { id: location.id, source: location.path, bytes, sha256: digest, stateful: request.stateful, result },
    given && serializePolicy(given.policy),
  );
  if (given) policies.remember(location.id, given.policy);
  return { ...result, stateful: request.stateful, ...(given ? { policyPath: given.path } : {}) };
}

/** Persists a loaded component; a failed write is reported as `store-failed` (the component stays loaded). */
async function save(
  { store }: LoaderContext,
  entry: {
    id: string;
    source: string;
    bytes: Uint8Array;
    sha256: string;
    stateful: boolean;
    result: LoadResult;
  },
  policy: string | undefined,
): Promise<void> {
  if (!store) return;
  try {
    await store.save(
      {
        version: 1,
        id: entry.id,
        source: entry.source,
        sha256: entry.sha256,
        stateful: entry.stateful,
        tools: entry.result.tools,
        loadedAt: new Date().toISOString(),
      },
      entry.bytes,
      policy,
    );
  } catch (cause) {
    const why = cause instanceof Error ? cause.message : String(cause);
    log.error('component loaded but not saved to the component directory', { id: entry.id, error: why });
    throw new McpError(
      'store-failed',
      `component ${entry.id} is loaded, but saving it to ${store.dir} failed (${why}); it will not be restored after a restart`,
      { cause },
    );
  }
}

/**
 * Unloads a component and deletes it from the component directory; false when it was not loaded. One
 * change of the component like a load (see `loadComponent`): a grant queued behind it finds it gone.
 * The one exception to arrival order: a load that is already running in the host is cancelled at once
 * (its caller is told that the unload cancelled it) instead of being waited for.
 */
export function unloadComponent(context: LoaderContext, id: string): Promise<boolean> {
  const loading = context.host.list().some((c) => c.id === id && c.state === 'loading');
  // Its failure is the unit's own `host.unload` failure too, which reports it.
  const cancelled = loading ? context.host.unload(id).catch(() => false) : Promise.resolve(false);
  return context.policies.serialize(id, async () => (await unloadNow(context, id)) || (await cancelled));
}

/** `unloadComponent` once it is this unload's turn. */
async function unloadNow(context: LoaderContext, id: string): Promise<boolean> {
  let unloaded: boolean;
  try {
    unloaded = await context.host.unload(id);
  } finally {
    context.syncTools();
  }
  context.policies.forget(id);
  return (await removeStored(context.store, id)) || unloaded;
}

/** Deletes a component from the component directory; a failed delete is reported as `store-failed`. */
async function removeStored(store: ComponentStore | undefined, id: string): Promise<boolean> {
  if (!store) return false;
  try {
    return await store.remove(id);
  } catch (cause) {
    if (cause instanceof McpError) throw cause;
    const why = cause instanceof Error ? cause.message : String(cause);
    throw new McpError(
      'store-failed',
      `component ${id} is unloaded, but deleting it from ${store.dir} failed (${why}); it will be loaded again on the next start unless it is deleted`,
      { cause },
    );
  }
}
