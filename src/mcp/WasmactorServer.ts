/**
 * The MCP face of wasmactor: owns the component host and the component directory, and keeps the
 * tools of every connected `McpServer` in step with what is loaded (one MCP tool per export).
 */
import { readFile } from 'node:fs/promises';
import { basename, dirname, extname, join } from 'node:path';
import {
  type CallToolResult,
  fromJsonSchema,
  McpServer,
  type RegisteredTool,
  type ServerContext,
} from '@modelcontextprotocol/server';
import {
  type ComponentHost,
  type ComponentSummary,
  type LoadResult,
  MachineError,
} from '../machines/index.ts';
import {
  type JsonObject,
  log,
  RuntimeError,
  readComponentSource,
  type SandboxSpec,
  sha256,
  type ToolDefinition,
} from '../runtime/index.ts';
import {
  loadSecrets,
  type Policy,
  parsePolicy,
  policyToSandbox,
  serializePolicy,
} from '../runtime/policy/index.ts';
import { registerBuiltinTools, registerEchoTool } from './builtinTools.ts';
import type { ComponentStore } from './ComponentStore.ts';
import { failureToResult, outcomeToResult } from './callResult.ts';
import { type FileKind, resolveComponentPath, resolveFileArgument } from './componentPath.ts';
import { appendToMessage } from './messageText.ts';
import { failureDenials, withPermissionHints } from './permissionHints.ts';

/** Options of `WasmactorServer`. */
export interface WasmactorServerOptions {
  /** The component host (`new ComponentHost({ runtime })`); the server stops it on `close()`. */
  host: ComponentHost;
  /** Where loaded components are kept across restarts; without it nothing is persisted. */
  store?: ComponentStore;
  /** Register the built-in tools (default true). */
  builtinTools?: boolean;
  /** Environment values components may be granted later (`--env`); never given to any by default. */
  availableEnv?: Record<string, string>;
  /** Also register `echo {value}` -> value: the floor that benchmarks compare component calls against. */
  echoTool?: boolean;
  /** Server name and version reported to clients. */
  name?: string;
  version?: string;
}

/** One component tool as the MCP layer lists it. */
interface ListedTool {
  componentId: string;
  tool: ToolDefinition;
}

/** Progress of a long load, as reported to the client. */
export type ProgressSink = (step: { message: string; progress: number; total: number }) => void;

/** What `loadComponent` did. */
export interface LoadReport extends LoadResult {
  stateful: boolean;
  /** The policy file that was applied, when one was given or found beside the `.wasm`. */
  policyPath?: string;
}

/** `/x/time-server.wasm` -> `/x/time-server.policy.yaml`: the policy used when none is given. */
export function sidecarPolicyPath(wasmPath: string): string {
  return join(dirname(wasmPath), `${basename(wasmPath, extname(wasmPath))}.policy.yaml`);
}

/** The sandbox every component gets until permissions are granted: nothing at all. */
const DENY_ALL: SandboxSpec = { env: {}, preopens: [], allowedHosts: [] };

/** The policy of a component nothing was granted to. */
function denyAllPolicy(): Policy {
  return { version: '1.0', permissions: {} };
}

const POLICY_FILE: FileKind = { argument: 'policy_path', file: 'policy file', things: 'policy files' };

function toolSignature(entry: ListedTool): string {
  const { description, inputSchema, outputSchema } = entry.tool;
  return JSON.stringify([entry.componentId, description, inputSchema, outputSchema]);
}

/** Sends `notifications/progress` for a request that asked for it (carries a progress token). */
export function progressSink(ctx: ServerContext): ProgressSink | undefined {
  const progressToken = ctx.mcpReq._meta?.progressToken;
  if (progressToken === undefined) return undefined;
  return ({ message, progress, total }) => {
    ctx.mcpReq
      .notify({ method: 'notifications/progress', params: { progressToken, progress, total, message } })
      .catch((error: unknown) => log.debug('progress notification failed', { error: String(error) }));
  };
}

/** The wasmactor MCP server. Serve it with `serveStdio(() => server.createMcpServer())`. */
export class WasmactorServer {
  readonly host: ComponentHost;
  readonly store: ComponentStore | undefined;
  readonly availableEnv: Record<string, string>;
  private readonly options: WasmactorServerOptions;
  private readonly servers = new Map<McpServer, Map<string, { handle: RegisteredTool; signature: string }>>();
  /** Policies of components when there is no component directory to keep them in. */
  private readonly policies = new Map<string, Policy>();
  private closed = false;

  constructor(options: WasmactorServerOptions) {
    this.options = options;
    this.host = options.host;
    this.store = options.store;
    this.availableEnv = options.availableEnv ?? {};
  }

  /** A new `McpServer` with the built-in tools and the current component tools registered. */
  createMcpServer(): McpServer {
    const mcp = new McpServer(
      { name: this.options.name ?? 'wasmactor', version: this.options.version ?? '0.0.0' },
      {
        capabilities: { tools: { listChanged: true }, logging: {} },
        // Several registrations in one load collapse into one notification, still sent before the response.
        debouncedNotificationMethods: ['notifications/tools/list_changed'],
        instructions:
          'wasmactor runs WebAssembly components as tools. Use load-component to add one (stateful: true keeps ' +
          'one live instance whose state persists between calls), list-components to see what is loaded.',
      },
    );
    this.servers.set(mcp, new Map());
    if (this.options.builtinTools !== false) registerBuiltinTools(mcp, this);
    if (this.options.echoTool) registerEchoTool(mcp);
    this.syncTools(mcp);
    const onclose = mcp.server.onclose;
    mcp.server.onclose = () => {
      this.servers.delete(mcp);
      onclose?.();
    };
    return mcp;
  }

  /**
   * Every component tool that should be listed now. A restored component's tools are routable (and
   * listed) from its stored metadata while it loads: the host queues their calls until the load ends.
   */
  listedTools(): ListedTool[] {
    return this.host.tools();
  }

  /** Brings the registered component tools of one (or every) McpServer in line with `listedTools()`. */
  syncTools(only?: McpServer): void {
    const desired = new Map(this.listedTools().map((entry) => [entry.tool.name, entry]));
    for (const [mcp, registered] of this.servers) {
      if (only && mcp !== only) continue;
      for (const [name, reg] of registered) {
        const want = desired.get(name);
        if (!want || toolSignature(want) !== reg.signature) {
          reg.handle.remove();
          registered.delete(name);
        }
      }
      for (const [name, entry] of desired) {
        if (registered.has(name)) continue;
        const handle = this.registerComponentTool(mcp, entry);
        if (handle) registered.set(name, { handle, signature: toolSignature(entry) });
      }
      if (!only) mcp.sendToolListChanged();
    }
  }

  private registerComponentTool(
    mcp: McpServer,
    { componentId, tool }: ListedTool,
  ): RegisteredTool | undefined {
    try {
      return mcp.registerTool(
        tool.name,
        {
          description: tool.description,
          inputSchema: fromJsonSchema<JsonObject>(tool.inputSchema as Parameters<typeof fromJsonSchema>[0]),
          outputSchema: fromJsonSchema<JsonObject>(tool.outputSchema as Parameters<typeof fromJsonSchema>[0]),
          _meta: { 'wasmactor/component': componentId },
        },
        async (args: JsonObject, ctx: ServerContext) =>
          this.callTool(tool.name, componentId, args, ctx.mcpReq.signal),
      );
    } catch (error) {
      log.error('cannot register component tool', { tool: tool.name, componentId, error: String(error) });
      return undefined;
    }
  }

  /** Runs one component tool and converts the outcome into an MCP result. */
  async callTool(name: string, componentId: string, args: JsonObject, signal?: AbortSignal) {
    try {
      const outcome = await this.host.call(name, args ?? {}, { signal });
      return withPermissionHints(outcomeToResult(outcome), componentId, outcome.denials, false);
    } catch (error) {
      const result = withPermissionHints(
        failureToResult(name, error),
        componentId,
        failureDenials(error),
        true,
      );
      return this.withMemoryNote(result, componentId, error);
    }
  }

  /** After a fault of a component whose memory is capped: says so, since running out looks like any trap. */
  private async withMemoryNote(result: CallToolResult, componentId: string, error: unknown) {
    if (!(error instanceof MachineError) || (error.code !== 'fault' && error.code !== 'state-lost')) {
      return result;
    }
    const memory = (await this.policyOf(componentId).catch(() => undefined))?.permissions.resources?.limits
      .memory;
    if (memory === undefined) return result;
    return appendToMessage(
      result,
      `Its memory is capped at ${memory} by its policy (permissions.resources.limits.memory); if it ran out, raise the limit and load it again.`,
    );
  }

  /**
   * Reads and validates a policy file for `load-component`: `policyPath` when given (it must exist),
   * else `<name>.policy.yaml` beside the component when there is one, else undefined (the component
   * keeps its stored policy). A bad file throws `invalid-policy` naming the file, line and field.
   */
  private async policyForLoad(
    wasmPath: string,
    policyPath: string | undefined,
  ): Promise<{ path: string; policy: Policy } | undefined> {
    const path =
      policyPath === undefined ? sidecarPolicyPath(wasmPath) : resolveFileArgument(policyPath, POLICY_FILE);
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (cause) {
      if (policyPath === undefined && (cause as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw new RuntimeError('not-found', `cannot read policy file ${path}: ${(cause as Error).message}`, {
        cause,
      });
    }
    return { path, policy: parsePolicy(text, path) };
  }

  /**
   * Loads (or reloads) a component from a file path or `file://` URI and persists it. The id is the file
   * stem. Tools are registered and `tools/list_changed` is queued before this resolves.
   */
  async loadComponent(
    path: string,
    stateful: boolean,
    onProgress?: ProgressSink,
    policyPath?: string,
  ): Promise<LoadReport> {
    const location = resolveComponentPath(path);
    const { bytes } = await readComponentSource({ path: location.path });
    let result: LoadResult;
    // A refused policy stops the load here: the component (if loaded) keeps running with its old policy.
    const given = await this.policyForLoad(location.path, policyPath);
    const sandbox = given
      ? await this.sandboxOf(location.id, given.policy)
      : await this.sandboxFor(location.id);
    try {
      result = await this.host.load({
        id: location.id,
        source: { bytes, name: basename(location.path) },
        stateful,
        sandbox,
        onProgress,
      });
    } finally {
      this.syncTools();
    }
    if (this.store) {
      try {
        await this.store.save(
          {
            version: 1,
            id: location.id,
            source: location.path,
            sha256: sha256(bytes),
            stateful,
            tools: result.tools,
            loadedAt: new Date().toISOString(),
          },
          bytes,
          given ? serializePolicy(given.policy) : undefined,
        );
      } catch (error) {
        log.error('component loaded but not saved to the component directory', {
          id: location.id,
          error: String(error),
        });
        throw new Error(
          `component ${location.id} is loaded, but saving it to ${this.store.dir} failed (${(error as Error).message}); it will not be restored after a restart`,
        );
      }
    }
    if (given && !this.store) this.policies.set(location.id, given.policy);
    return { ...result, stateful, ...(given ? { policyPath: given.path } : {}) };
  }

  /**
   * The component's policy (deny-all when nothing was ever granted). A policy file that exists but
   * cannot be read throws `host-error`, and one that is not valid `invalid-policy`: neither is taken
   * for deny-all, so a grant never overwrites a policy it could not read.
   */
  async policyOf(id: string): Promise<Policy> {
    if (!this.store) return this.policies.get(id) ?? denyAllPolicy();
    let text: string;
    try {
      text = await this.store.policy(id);
    } catch (cause) {
      if ((cause as NodeJS.ErrnoException).code === 'ENOENT') return denyAllPolicy();
      throw new RuntimeError(
        'host-error',
        `cannot read the policy file of ${id}: ${(cause as Error).message}`,
        {
          cause,
        },
      );
    }
    return parsePolicy(text, `${id}/policy.yaml`);
  }

  /** The sandbox a component gets from its policy, `--env` values and its own secrets. */
  async sandboxFor(id: string): Promise<SandboxSpec> {
    return this.sandboxOf(id, await this.policyOf(id));
  }

  /** The sandbox `policy` gives component `id` (with `--env` values and the component's secrets). */
  private async sandboxOf(id: string, policy: Policy): Promise<SandboxSpec> {
    const secrets = await loadSecrets(id).catch(() => ({}));
    return policyToSandbox(policy, { envValues: this.availableEnv, hostEnv: process.env, secrets });
  }

  /**
   * Applies `change` to a component's policy: the new policy is validated (the change throws
   * `invalid-policy` otherwise, and the old policy stays), persisted atomically beside the component,
   * and becomes the component's sandbox. Stateful components pick it up at their next reload; a
   * changed memory limit is compiled into the component, so it too needs a reload (`memoryReloadNeeded`).
   */
  async changePolicy(
    id: string,
    change: (policy: Policy) => Policy,
  ): Promise<{ policy: Policy; reloadNeeded: boolean; memoryReloadNeeded: boolean }> {
    const before = await this.policyOf(id);
    const policy = change(before);
    const sandbox = await this.sandboxOf(id, policy);
    if (this.store) {
      const stored = await this.store.get(id);
      await this.store.save(stored.metadata, { fromPath: stored.wasmPath }, serializePolicy(policy));
    } else {
      this.policies.set(id, policy);
    }
    const memoryReloadNeeded =
      before.permissions.resources?.limits.memory !== policy.permissions.resources?.limits.memory;
    const { reloadNeeded } = this.host.updateSandbox(id, sandbox);
    return { policy, reloadNeeded, memoryReloadNeeded };
  }

  /** Unloads a component and deletes it from the component directory; false when it was not loaded. */
  async unloadComponent(id: string): Promise<boolean> {
    let unloaded: boolean;
    try {
      unloaded = await this.host.unload(id);
    } finally {
      this.syncTools();
    }
    this.policies.delete(id);
    const removed = this.store ? await this.store.remove(id) : false;
    return unloaded || removed;
  }

  /** Summaries of the loaded components. */
  listComponents(): ComponentSummary[] {
    return this.host.list();
  }

  /**
   * Starts every component of the component directory; their tools are listed at once from the stored
   * metadata, and calls wait for their load (a call gets the load's error when it fails). Broken entries are reported on stderr and skipped.
   * Resolves when every load has been started (not finished); `ready` resolves when they are done.
   */
  async restore(): Promise<{
    restored: string[];
    skipped: { id: string; message: string }[];
    ready: Promise<void>;
  }> {
    const skipped: { id: string; message: string }[] = [];
    const restored: string[] = [];
    const loads: Promise<unknown>[] = [];
    if (!this.store) return { restored, skipped, ready: Promise.resolve() };
    const { components, problems } = await this.store.list();
    skipped.push(...problems);
    // In the order they were first loaded, so a tool name that two components share goes to the same
    // one as before the restart (the later one is `<id>__<name>`).
    const ordered = [...components].sort((a, b) => a.metadata.loadedAt.localeCompare(b.metadata.loadedAt));
    for (const entry of ordered) {
      const { metadata } = entry;
      let bytes: Uint8Array;
      try {
        ({ bytes } = await readComponentSource({ path: entry.wasmPath }));
        const actual = sha256(bytes);
        if (actual !== metadata.sha256) {
          throw new Error(`component.wasm has sha256 ${actual}, metadata.json says ${metadata.sha256}`);
        }
      } catch (error) {
        skipped.push({ id: metadata.id, message: (error as Error).message });
        continue;
      }
      let sandbox = DENY_ALL;
      try {
        sandbox = await this.sandboxFor(metadata.id);
      } catch (error) {
        log.error('policy of a restored component refused; it runs deny-all', {
          id: metadata.id,
          error: (error as Error).message,
        });
      }
      const load = this.host
        .load({
          id: metadata.id,
          source: { bytes, name: 'component.wasm' },
          stateful: metadata.stateful,
          sandbox,
          knownTools: metadata.tools,
        })
        .then(
          () => log.info('component restored', { id: metadata.id, stateful: metadata.stateful }),
          (error: unknown) =>
            // Unloaded (or the server stopped) before the restore finished: nothing failed.
            error instanceof MachineError && (error.code === 'unloaded' || error.code === 'stopped')
              ? log.info('restore ended by an unload', { id: metadata.id })
              : log.error('restoring a component failed', {
                  id: metadata.id,
                  error: (error as Error).message,
                }),
        )
        .finally(() => {
          if (!this.closed) this.syncTools();
        });
      loads.push(load);
      restored.push(metadata.id);
    }
    for (const problem of skipped) {
      log.error('skipping a broken entry of the component directory', {
        id: problem.id,
        problem: problem.message,
      });
    }
    this.syncTools();
    return { restored, skipped, ready: Promise.all(loads).then(() => undefined) };
  }

  /** Closes every McpServer and stops the host (every instance and worker). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    try {
      await Promise.allSettled([...this.servers.keys()].map((mcp) => mcp.close()));
    } finally {
      await this.host.stop();
    }
  }
}
