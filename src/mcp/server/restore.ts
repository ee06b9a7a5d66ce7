/**
 * Starting the components of the component directory when the server starts: their tools are listed at
 * once from the stored metadata, and calls wait for their load (a call gets the load's error when it
 * fails). Broken entries are reported on stderr and skipped.
 */
import { MachineError } from '../../machines/index.ts';
import { log, type SandboxSpec, type ToolDefinition, toolDefinitions } from '../../runtime/index.ts';
import type { StoredComponent, StoreProblem } from '../ComponentStore.ts';
import type { LoaderContext } from './componentLoader.ts';

/** What `restore` started. */
export interface RestoreReport {
  restored: string[];
  skipped: StoreProblem[];
  /** Resolves when every load has ended (loaded or failed). */
  ready: Promise<void>;
  /** The loads that failed, with why (`serve --manifest` names them); complete once `ready` resolved. */
  failed: StoreProblem[];
}

/** The sandbox every component gets until permissions are granted: nothing at all. */
const DENY_ALL: SandboxSpec = { env: {}, preopens: [], allowedHosts: [] };

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** The sandbox of a restored component; deny-all (logged) when its policy or secrets cannot be used. */
async function restoredSandbox(context: LoaderContext, id: string): Promise<SandboxSpec> {
  try {
    return await context.policies.sandboxFor(id);
  } catch (error) {
    log.error('the policy or secrets of a restored component cannot be used; it runs deny-all', {
      id,
      error: messageOf(error),
    });
    return DENY_ALL;
  }
}

/**
 * The stored tools under the names the runtime gives them. The store keeps public names (`<id>__<name>`
 * after a collision); handed to the host as they are, they would route to a tool the runtime does not
 * have and be renamed again once loaded (`<id>__<name>_2`). The host names them again, in load order,
 * so each gets the name it had before the restart, from the first listing on.
 */
function runtimeNamed(tools: ToolDefinition[]): ToolDefinition[] {
  try {
    const named = toolDefinitions({ functions: tools.map((t) => t.function), imports: [] });
    return tools.map((tool, i) => ({ ...tool, name: named[i]?.name ?? tool.name }));
  } catch {
    return tools;
  }
}

/** Starts the load of one verified entry; the promise settles (never rejects) when the load ends. */
function startLoad(
  context: LoaderContext,
  { metadata }: StoredComponent,
  bytes: Uint8Array,
  sandbox: SandboxSpec,
  isClosed: () => boolean,
  failed: StoreProblem[],
): Promise<void> {
  return context.host
    .load({
      id: metadata.id,
      source: { bytes, name: 'component.wasm' },
      stateful: metadata.stateful,
      sandbox,
      knownTools: runtimeNamed(metadata.tools),
    })
    .then(
      () => log.info('component restored', { id: metadata.id, stateful: metadata.stateful }),
      (error: unknown) => {
        // Unloaded (or the server stopped) before the restore finished: nothing failed.
        if (error instanceof MachineError && (error.code === 'unloaded' || error.code === 'stopped'))
          return log.info('restore ended by an unload', { id: metadata.id });
        failed.push({ id: metadata.id, message: messageOf(error) });
        log.error('restoring a component failed', { id: metadata.id, error: messageOf(error) });
      },
    )
    .finally(() => {
      if (!isClosed()) context.syncTools();
    });
}

/**
 * Starts every component of the component directory (with `only`, just those ids, in that order).
 * Resolves when every load has been started (not finished); `ready` resolves when they are done.
 */
export async function restoreComponents(
  context: LoaderContext,
  isClosed: () => boolean,
  only?: readonly string[],
): Promise<RestoreReport> {
  const { store } = context;
  if (!store) return { restored: [], skipped: [], ready: Promise.resolve(), failed: [] };
  const { components, problems } = await store.list();
  const skipped = only === undefined ? [...problems] : problems.filter((p) => only.includes(p.id));
  const restored: string[] = [];
  const loads: Promise<void>[] = [];
  const failed: StoreProblem[] = [];
  // In the order they were first loaded, so a tool name that two components share goes to the same
  // one as before the restart (the later one is `<id>__<name>`); with `only` (a manifest), those ids in
  // that order, so every replica of one manifest names shared tools alike.
  const ordered =
    only === undefined
      ? [...components].sort((a, b) => a.metadata.loadedAt.localeCompare(b.metadata.loadedAt))
      : only.flatMap((id) => components.filter((c) => c.metadata.id === id));
  for (const entry of ordered) {
    let bytes: Uint8Array;
    try {
      bytes = await store.readComponent(entry);
    } catch (error) {
      skipped.push({ id: entry.metadata.id, message: messageOf(error) });
      continue;
    }
    const sandbox = await restoredSandbox(context, entry.metadata.id);
    loads.push(startLoad(context, entry, bytes, sandbox, isClosed, failed));
    restored.push(entry.metadata.id);
  }
  for (const problem of skipped) {
    log.error('skipping a broken entry of the component directory', {
      id: problem.id,
      problem: problem.message,
    });
  }
  context.syncTools();
  return { restored, skipped, ready: Promise.all(loads).then(() => undefined), failed };
}
