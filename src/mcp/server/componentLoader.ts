/** Loading and unloading components: the host, the component directory and the tool lists in step. */
import { basename } from 'node:path';
import type { ComponentHost, LoadResult } from '../../machines/index.ts';
import { defaultMaxComponentSize, log, type SandboxSpec } from '../../runtime/index.ts';
import { serializePolicy } from '../../runtime/policy/index.ts';
import { type ComponentStore, isValidComponentId, type StagedBytes } from '../ComponentStore.ts';
import { McpError } from '../McpError.ts';
import {
  type BlobCache,
  DEFAULT_DOWNLOAD_TIMEOUT_MS,
  type FetchedComponent,
  fetchComponentSource,
  parseSourceReference,
  type SourceReference,
} from '../sources/index.ts';
import type { LoadReport, LoadRequest, ProgressSink } from '../types.ts';
import { loadProgress } from './loadProgress.ts';
import type { PolicyBook } from './PolicyBook.ts';

export type { LoadRequest } from '../types.ts';

/** What loading and unloading work on. */
export interface LoaderContext {
  host: ComponentHost;
  store: ComponentStore | undefined;
  policies: PolicyBook;
  /** Brings every connected client's tool list in line with the host (and tells them). */
  syncTools(): void;
  /** Largest component read or downloaded, in bytes (default: the runtime's, 256 MiB). */
  maxComponentSize?: number;
  /** Time limit of one download (default 5 minutes). */
  downloadTimeoutMs?: number;
  /** Where downloads are kept by digest; without it every remote load downloads. */
  blobCache?: BlobCache;
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

/** The id a request loads: its own `id`, else the one its source stands for. */
function requestId(request: LoadRequest, reference: SourceReference): string {
  if (request.id === undefined) return reference.id;
  if (!isValidComponentId(request.id)) {
    throw new McpError(
      'invalid-id',
      `"${request.id}" is not a valid component id (letters, digits, ".", "_" and "-", at most 128)`,
    );
  }
  return request.id;
}

/**
 * Loads (or reloads) a component from any source (see `LoadRequest`) and persists it with its source,
 * pinned reference and digest, so that a restart loads it from the component directory without any
 * download. Tools are registered and `tools/list_changed` is queued before this resolves. The whole
 * load — download, policy read, host load, write to the component directory — is one change of the
 * component, after the changes to it that arrived before (see `PolicyBook.serialize`): a reload never
 * starts from a policy that a concurrent grant or revoke is about to replace, and two loads never write
 * the same entry at once.
 */
export async function loadComponent(context: LoaderContext, request: LoadRequest): Promise<LoadReport> {
  const reference = parseSourceReference(request.source);
  const id = requestId(request, reference);
  return context.policies.serialize(id, () => loadNow(context, id, reference, request));
}

/** The downloads in progress of each loader, by component id: what `unloadComponent` stops at once. */
const downloads = new WeakMap<LoaderContext, Map<string, AbortController>>();

/**
 * The component's bytes. The download stops when the client cancels (the load's own signal) or when an
 * unload of the same id arrives (it does not wait for a download of up to `--download-timeout`).
 */
async function fetchFor(
  context: LoaderContext,
  id: string,
  reference: SourceReference,
  request: LoadRequest,
  onProgress: ((received: number, total: number | undefined) => void) | undefined,
): Promise<FetchedComponent> {
  const controller = new AbortController();
  const forward = () => controller.abort();
  request.signal?.addEventListener('abort', forward, { once: true });
  if (request.signal?.aborted) controller.abort();
  const running = downloads.get(context) ?? new Map<string, AbortController>();
  downloads.set(context, running);
  running.set(id, controller);
  try {
    return await fetchComponentSource(reference, {
      maxBytes: context.maxComponentSize ?? defaultMaxComponentSize,
      timeoutMs: context.downloadTimeoutMs ?? DEFAULT_DOWNLOAD_TIMEOUT_MS,
      signal: controller.signal,
      onProgress,
      cache: context.blobCache,
      sha256: request.sha256,
    });
  } catch (error) {
    checkCancelled(id, request.signal);
    if (controller.signal.aborted) {
      throw new McpError(
        'load-cancelled',
        `The load of ${id} was cancelled by unload-component while it was downloading: nothing was loaded or stored.`,
      );
    }
    throw error;
  } finally {
    request.signal?.removeEventListener('abort', forward);
    if (running.get(id) === controller) running.delete(id);
  }
}

/** The policy to apply with this load: inline, a policy file, the sidecar of a file source, or none. */
function policyFor(context: LoaderContext, fetched: FetchedComponent, request: LoadRequest) {
  if (request.policy) return Promise.resolve(request.policy);
  // A remote source has no folder to look for `<name>.policy.yaml` in: only an explicit policy_path.
  if (fetched.path === undefined && request.policyPath === undefined) return Promise.resolve(undefined);
  return context.policies.forLoad(fetched.path ?? '', request.policyPath);
}

/** `loadComponent` once it is this load's turn. */
async function loadNow(
  context: LoaderContext,
  id: string,
  reference: SourceReference,
  request: LoadRequest,
): Promise<LoadReport> {
  const { policies } = context;
  const progress = loadProgress(request.onProgress, request.source);
  const fetched = await fetchFor(context, id, reference, request, progress.download);
  // A refused policy stops the load here: the component (if loaded) keeps running with its old policy.
  const given = await policyFor(context, fetched, request);
  const sandbox = given ? await policies.sandboxOf(id, given.policy) : await policies.sandboxFor(id);
  checkCancelled(id, request.signal);
  // The bytes are written to the component directory while the host loads (the write and its fsync
  // took 15-100 ms after the load); they become the entry only once the load succeeded and is saved.
  const staged = stageBytes(context.store, id, fetched.bytes);
  try {
    const result = await hostLoad(context, id, fetched, request, sandbox, progress.steps);
    await save(
      context,
      { id, fetched, stateful: request.stateful, result, staged },
      given && serializePolicy(given.policy),
    );
    if (given) policies.remember(id, given.policy);
    return {
      ...result,
      stateful: request.stateful,
      source: fetched.source,
      sha256: fetched.digest,
      ...(fetched.pinned === undefined ? {} : { pinned: fetched.pinned }),
      fetched: fetched.path !== undefined ? 'file' : fetched.fromCache ? 'cache' : 'download',
      ...(given ? { policyPath: given.path } : {}),
    };
  } finally {
    // Saved, the staging folder became the entry and this finds nothing; on any failure it goes.
    await staged?.discard();
  }
}

/** The host's load of the fetched bytes; a cancel while it runs (or right after) undoes it. */
async function hostLoad(
  context: LoaderContext,
  id: string,
  fetched: FetchedComponent,
  request: LoadRequest,
  sandbox: SandboxSpec,
  onProgress: ProgressSink | undefined,
): Promise<LoadResult> {
  const { host } = context;
  // A cancel while the host loads ends that load (as an unload does); after it, the load is undone.
  const cancel = () => void host.unload(id).catch(() => false);
  request.signal?.addEventListener('abort', cancel, { once: true });
  let result: LoadResult;
  try {
    result = await host.load({
      id,
      // Hashed once (by the fetch): the runtime keys its transpile cache with it, the store records it.
      source: {
        bytes: fetched.bytes,
        name: fetched.path === undefined ? `${id}.wasm` : basename(fetched.path),
        sha256: fetched.digest,
      },
      stateful: request.stateful,
      sandbox,
      onProgress,
    });
  } catch (error) {
    checkCancelled(id, request.signal);
    throw error;
  } finally {
    request.signal?.removeEventListener('abort', cancel);
    context.syncTools();
  }
  if (request.signal?.aborted) {
    await host.unload(id).finally(() => context.syncTools());
    checkCancelled(id, request.signal);
  }
  return result;
}

/** `store.stage`, or nothing (then `save` writes the bytes itself, and reports what went wrong). */
function stageBytes(
  store: ComponentStore | undefined,
  id: string,
  bytes: Uint8Array,
): StagedBytes | undefined {
  try {
    return store?.stage(id, bytes);
  } catch {
    return undefined;
  }
}

/** Persists a loaded component; a failed write is reported as `store-failed` (the component stays loaded). */
async function save(
  { store }: LoaderContext,
  entry: {
    id: string;
    fetched: FetchedComponent;
    stateful: boolean;
    result: LoadResult;
    staged: StagedBytes | undefined;
  },
  policy: string | undefined,
): Promise<void> {
  if (!store) return;
  try {
    await store.save(
      {
        version: 1,
        id: entry.id,
        source: entry.fetched.source,
        ...(entry.fetched.pinned === undefined ? {} : { pinned: entry.fetched.pinned }),
        sha256: entry.fetched.digest,
        stateful: entry.stateful,
        tools: entry.result.tools,
        loadedAt: new Date().toISOString(),
      },
      entry.staged ?? entry.fetched.bytes,
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
 * The one exception to arrival order: a load that is already downloading or running in the host is
 * cancelled at once (its caller is told that the unload cancelled it) instead of being waited for.
 */
export function unloadComponent(context: LoaderContext, id: string): Promise<boolean> {
  const download = downloads.get(context)?.get(id);
  download?.abort();
  const loading = context.host.list().some((c) => c.id === id && c.state === 'loading');
  // Its failure is the unit's own `host.unload` failure too, which reports it.
  const cancelled = loading
    ? context.host.unload(id).catch(() => false)
    : Promise.resolve(download !== undefined);
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
