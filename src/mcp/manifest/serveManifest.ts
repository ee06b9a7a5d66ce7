/**
 * `serve --manifest FILE`: before the restore, the component directory is synced with the manifest
 * (`syncManifest`, stored entries the manifest does not name are left on disk and not restored); after
 * it, every manifest component must be loaded. A component that cannot be read, fetched, checked or
 * loaded stops the start: replicas started from one manifest must all serve the same tools, and a
 * replica without one of them would answer some calls differently from its peers.
 */
import { log } from '../../runtime/index.ts';
import type { GrantGuard } from '../../runtime/policy/index.ts';
import type { ComponentStore, StoreProblem } from '../ComponentStore.ts';
import { McpError } from '../McpError.ts';
import type { RestoreReport, WasmactorServer } from '../server/index.ts';
import { BlobCache } from '../sources/index.ts';
import { type SourceFetcher, sourceFetcher } from './fetchSource.ts';
import { readManifest } from './parseManifest.ts';
import { syncManifest } from './syncManifest.ts';
import type { Manifest } from './types.ts';

/** What the refusal to start says after its list of problems. */
function refusal(manifest: Manifest, problems: string[]): McpError {
  return new McpError(
    'bad-manifest',
    `cannot start from the manifest ${manifest.path}: every component it lists must load, and ${problems.length === 1 ? 'one does' : `${problems.length} do`} not:\n${problems.join('\n')}\nFix what is named (in the manifest or at the source) and start again.`,
  );
}

/**
 * Syncs `store` with `manifest` for a server start; resolves to the ids to restore, in manifest order.
 * Throws `bad-manifest` naming every component that could not be made ready.
 */
export async function prepareManifest(
  manifest: Manifest,
  store: ComponentStore | undefined,
  options: { maxComponentSize: number; fetch?: SourceFetcher },
): Promise<string[]> {
  if (store === undefined) throw new McpError('bad-manifest', '--manifest needs a component directory');
  const report = await syncManifest(manifest, store, { removeOthers: false, ...options });
  log.info('component directory synced with the manifest', {
    manifest: manifest.path,
    loaded: report.loaded,
    updated: report.updated.map((u) => `${u.id} (${u.changed.join(', ')})`),
    kept: report.kept,
    notInManifest: report.ignored,
  });
  if (report.failed.length > 0)
    throw refusal(
      manifest,
      report.failed.map((f) => f.message),
    );
  return manifest.components.map((c) => c.id);
}

/**
 * Once the restore is done: throws `bad-manifest` naming every manifest component that is not loaded
 * (with the error of its load, from `failed`).
 */
export function checkManifestLoaded(
  manifest: Manifest,
  server: WasmactorServer,
  failed: readonly StoreProblem[],
): void {
  const problems = manifest.components
    .filter((entry) => server.preparedComponent(entry.id) === undefined)
    .map((entry) => {
      const why = failed.find((f) => f.id === entry.id)?.message ?? 'it is not loaded (see the log above)';
      return `component ${entry.id} (${entry.at.field}, ${manifest.path}:${entry.at.line}): ${why}`;
    });
  if (problems.length > 0) throw refusal(manifest, problems);
}

/**
 * The `--manifest` flag of `serve`, read and checked: the manifest, undefined without the flag, or the
 * message that refuses it (every problem at its line).
 */
export async function manifestFlag(
  path: string | undefined,
  examples: boolean,
  guard: GrantGuard,
): Promise<Manifest | undefined | string> {
  if (path === undefined) return undefined;
  if (examples) return '--examples and --manifest exclude each other: list the examples in the manifest';
  try {
    return await readManifest(path, guard);
  } catch (error) {
    if (error instanceof McpError) return error.message;
    throw error;
  }
}

/**
 * The restore of `serve --manifest`: the directory synced, the manifest's components restored in its
 * order, all of them loaded; resolves when they are (throws `bad-manifest` naming those that are not).
 */
export async function restoreManifest(
  server: WasmactorServer,
  manifest: Manifest,
  options: {
    maxComponentSize: number;
    /** `serve --download-timeout` and `--download-cache`: remote sources download as load-component does. */
    downloads: { downloadTimeoutMs: number; downloadCacheDir: string };
  },
): Promise<RestoreReport> {
  const { downloadTimeoutMs, downloadCacheDir } = options.downloads;
  const fetch = sourceFetcher({ timeoutMs: downloadTimeoutMs, cache: new BlobCache(downloadCacheDir) });
  const only = await prepareManifest(manifest, server.store, {
    maxComponentSize: options.maxComponentSize,
    fetch,
  });
  const report = await server.restore(only);
  await report.ready;
  checkManifestLoaded(manifest, server, report.failed);
  return report;
}
