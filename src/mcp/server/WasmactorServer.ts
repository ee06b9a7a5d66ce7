/**
 * The MCP face of wasmactor: owns the component host and the component directory, and puts together the
 * parts that do the work — the tool registry (`ToolRegistry`), loading and unloading
 * (`componentLoader`), the policies (`PolicyBook`), the restore on start (`restore`) and the results
 * of component calls (`componentCall`).
 */
import { type CallToolResult, McpServer } from '@modelcontextprotocol/server';
import type { ComponentHost, ComponentSummary } from '../../machines/index.ts';
import type { JsonObject, PreparedComponent, SandboxSpec } from '../../runtime/index.ts';
import type { GrantGuard, Policy } from '../../runtime/policy/index.ts';
import type { ComponentStore } from '../ComponentStore.ts';
import { DEFAULT_INLINE_RESULT_BYTES, DEFAULT_MAX_RESULT_BYTES } from '../callResult.ts';
import { errorToResult } from '../errorResult.ts';
import { McpError } from '../McpError.ts';
import { BlobCache } from '../sources/index.ts';
import { registerBuiltinTools, registerEchoTool } from '../tools/index.ts';
import type { ComponentManager, LoadReport, LoadRequest, PolicyChange, ProgressSink } from '../types.ts';
import { ClientLog } from './ClientLog.ts';
import { type ComponentCallContext, callComponentTool } from './componentCall.ts';
import { type LoaderContext, loadComponent, unloadComponent } from './componentLoader.ts';
import { checkHandle, mintHandle, randomReplicaId, SessionInstances } from './instanceHandles.ts';
import { PolicyBook } from './PolicyBook.ts';
import { type RestoreReport, restoreComponents } from './restore.ts';
import { type ListedTool, ToolRegistry } from './ToolRegistry.ts';

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
  /** Directory of the per-component secrets files (default `$XDG_CONFIG_HOME/wasmactor/secrets`). */
  secretsDir?: string;
  /** Also register `echo {value}` -> value: the floor that benchmarks compare component calls against. */
  echoTool?: boolean;
  /**
   * Largest value a component call may send back, in bytes of its JSON (`--max-result-size`; default
   * 4 MiB). A larger one is refused with `isError` naming the size and the limit.
   */
  maxResultSize?: number;
  /**
   * Largest value also repeated as JSON text in `content[0]` (default 1 MiB, never above
   * `maxResultSize`); a larger one is sent once, in `structuredContent.result`.
   */
  inlineResultSize?: number;
  /**
   * Which storage grants are too broad: `/`, `/proc`, `/sys`, `/dev` always; the server's own
   * directories and the home directory when given; none with `allowBroadGrants` (`--allow-broad-grants`).
   */
  grantGuard?: GrantGuard;
  /**
   * Largest component `load-component` reads or downloads, in bytes (`--max-component-size`; default
   * 256 MiB).
   */
  maxComponentSize?: number;
  /** Time limit of one download (`--download-timeout`; default 5 minutes). */
  downloadTimeoutMs?: number;
  /**
   * The download cache directory (`serve` gives `$XDG_CACHE_HOME/wasmactor/blobs`, or `--download-cache`);
   * without it nothing downloaded is cached and every remote load downloads.
   */
  downloadCacheDir?: string;
  /**
   * This server's replica id (`serve --replica-id`): the prefix of the ids it mints (2025-era HTTP
   * session ids, instance handles), so a load balancer can route them back to it.
   */
  replicaId?: string;
  /** The OCI registries `search-components` searches (`serve --registry`, repeatable). */
  registries?: readonly string[];
  /**
   * The manifest that owns the component set and its policies (`serve --manifest FILE`): loads,
   * unloads and permission changes are refused with `manifest-owned`.
   */
  manifestPath?: string;
  /** Server name and version reported to clients. */
  name?: string;
  version?: string;
}

const INSTRUCTIONS =
  'wasmactor runs WebAssembly components as tools. Use load-component to add one (stateful: true keeps ' +
  'one live instance whose state persists between calls), list-components to see what is loaded. ' +
  'open-instance gives an agent its own instance of a stateful component: pass its handle as _instance.';

/** The wasmactor MCP server. Serve it with `serveStdio(() => server.createMcpServer())`. */
export class WasmactorServer implements ComponentManager {
  readonly host: ComponentHost;
  readonly store: ComponentStore | undefined;
  readonly availableEnv: Record<string, string>;
  /** The prefix of this server's instance handles. */
  readonly replicaId: string;
  private readonly options: WasmactorServerOptions;
  private readonly policies: PolicyBook;
  private readonly tools: ToolRegistry;
  private readonly loader: LoaderContext;
  private readonly calls: ComponentCallContext;
  private readonly sessions = new SessionInstances();
  /** What the clients are told with `notifications/message` (logging). */
  readonly clientLog: ClientLog = new ClientLog(() => this.tools.connected());
  private closed = false;
  private readonly toolsChangedListeners = new Set<() => void>();

  constructor(options: WasmactorServerOptions) {
    this.options = options;
    this.host = options.host;
    this.store = options.store;
    this.availableEnv = options.availableEnv ?? {};
    this.replicaId = options.replicaId ?? randomReplicaId();
    this.policies = new PolicyBook({
      host: this.host,
      store: this.store,
      availableEnv: this.availableEnv,
      ...(options.secretsDir === undefined ? {} : { secretsDir: options.secretsDir }),
      ...(options.grantGuard === undefined ? {} : { guard: options.grantGuard }),
    });
    this.tools = new ToolRegistry(
      () => this.listedTools(),
      (name, componentId, args, signal, instance) => this.callTool(name, componentId, args, signal, instance),
    );
    this.loader = {
      host: this.host,
      store: this.store,
      policies: this.policies,
      syncTools: () => this.syncTools(),
      ...(options.maxComponentSize === undefined ? {} : { maxComponentSize: options.maxComponentSize }),
      ...(options.downloadTimeoutMs === undefined ? {} : { downloadTimeoutMs: options.downloadTimeoutMs }),
      ...(options.downloadCacheDir === undefined
        ? {}
        : { blobCache: new BlobCache(options.downloadCacheDir) }),
    };
    const maxBytes = options.maxResultSize ?? DEFAULT_MAX_RESULT_BYTES;
    const inlineBytes = Math.min(options.inlineResultSize ?? DEFAULT_INLINE_RESULT_BYTES, maxBytes);
    this.calls = {
      host: this.host,
      policyOf: (id) => this.policyOf(id),
      limits: { maxBytes, inlineBytes },
      clientLog: this.clientLog,
    };
  }

  /** A new `McpServer` with the built-in tools and the current component tools registered. */
  createMcpServer(): McpServer {
    const mcp = new McpServer(
      { name: this.options.name ?? 'wasmactor', version: this.options.version ?? '0.0.0' },
      {
        capabilities: { tools: { listChanged: true }, logging: {} },
        // Several registrations in one load collapse into one notification, still sent before the response.
        debouncedNotificationMethods: ['notifications/tools/list_changed'],
        instructions: INSTRUCTIONS,
      },
    );
    if (this.options.builtinTools !== false) registerBuiltinTools(mcp, this, this.options.registries);
    if (this.options.echoTool) registerEchoTool(mcp);
    this.clientLog.watch(mcp);
    this.tools.add(mcp);
    return mcp;
  }

  /**
   * Every component tool that should be listed now. A restored component's tools are routable (and
   * listed) from its stored metadata while it loads: the host queues their calls until the load ends.
   */
  listedTools(): ListedTool[] {
    return this.host.tools();
  }

  /** Brings the registered component tools of every McpServer in line with `listedTools()`. */
  syncTools(): void {
    this.tools.sync();
    for (const listener of this.toolsChangedListeners) listener();
  }

  /**
   * Calls `listener` whenever the listed tools may have changed (after `tools/list_changed` went to the
   * connected servers): how listeners without a connection (`subscriptions/listen` streams) hear of it.
   * Returns the function that stops it.
   */
  onToolsChanged(listener: () => void): () => void {
    this.toolsChangedListeners.add(listener);
    return () => this.toolsChangedListeners.delete(listener);
  }

  /**
   * Runs one component tool and converts the outcome into an MCP result; with `instance`, on that
   * per-agent instance (a handle of another replica is refused before it reaches any component).
   */
  callTool(
    name: string,
    componentId: string,
    args: JsonObject,
    signal?: AbortSignal,
    instance?: string,
  ): Promise<CallToolResult> {
    if (instance !== undefined) {
      const refused = checkHandle(instance, this.replicaId);
      if (refused) return Promise.resolve(errorToResult(refused, name));
    }
    return callComponentTool(this.calls, name, componentId, args, signal, instance);
  }

  /**
   * Opens a per-agent instance of a stateful component; resolves to its new handle. With `session`
   * (a 2025-era HTTP session), the instance is closed when `closeSessionInstances(session)` is called.
   */
  async openInstance(componentId: string, session?: string): Promise<string> {
    const handle = mintHandle(this.replicaId);
    await this.host.openInstance(componentId, handle);
    if (session !== undefined) this.sessions.add(session, handle);
    return handle;
  }

  /** Closes a per-agent instance of this replica. */
  async closeInstance(handle: string): Promise<void> {
    const refused = checkHandle(handle, this.replicaId);
    if (refused) throw refused;
    try {
      await this.host.closeInstance(handle);
    } finally {
      this.sessions.remove(handle);
    }
  }

  /**
   * Closes every instance the 2025-era session `session` opened (the HTTP transport calls it when the
   * session ends); later calls of those handles are told the session ended.
   */
  async closeSessionInstances(session: string): Promise<void> {
    const handles = this.sessions.take(session);
    await Promise.allSettled(handles.map((handle) => this.host.closeInstance(handle, 'session-ended')));
  }

  /** Throws `manifest-owned` when a manifest owns the component set (`serve --manifest`). */
  private refuseIfManifest(change: 'load' | 'unload' | 'permissions'): void {
    const manifest = this.options.manifestPath;
    if (manifest === undefined) return;
    const what =
      change === 'permissions'
        ? "the components' permissions are set by the manifest too (permissions or policy of each entry)"
        : `${change === 'load' ? 'load-component' : 'unload-component'} cannot change them here`;
    throw new McpError(
      'manifest-owned',
      `This server was started with --manifest ${manifest}: the manifest owns the set of components, and ${what}. To change them, edit ${manifest} and restart the server (or run \`wasmactor component sync --manifest ${manifest}\` on its component directory, then restart).`,
    );
  }

  /** Loads (or reloads) a component from any source and persists it; see `LoadRequest`. */
  async load(request: LoadRequest): Promise<LoadReport> {
    this.refuseIfManifest('load');
    const report = await loadComponent(this.loader, request);
    this.clientLog.loaded(
      report.id,
      request.stateful,
      report.tools.map((t) => t.name),
    );
    return report;
  }

  /** `load({ source, stateful, onProgress, policyPath, signal })`, positionally. */
  loadComponent(
    source: string,
    stateful: boolean,
    onProgress?: ProgressSink,
    policyPath?: string,
    signal?: AbortSignal,
  ): Promise<LoadReport> {
    return this.load({ source, stateful, onProgress, policyPath, signal });
  }

  /** Unloads a component and deletes it from the component directory; false when it was not loaded. */
  async unloadComponent(id: string): Promise<boolean> {
    this.refuseIfManifest('unload');
    return unloadComponent(this.loader, id).then((unloaded) => {
      if (unloaded) this.clientLog.unloaded(id);
      return unloaded;
    });
  }

  /** Summaries of the loaded components. */
  listComponents(): ComponentSummary[] {
    return this.host.list();
  }

  /** The component's policy once the changes in flight are made; see `PolicyBook.policyOf`. */
  /** Which storage grants are too broad for this server. */
  get grantGuard(): GrantGuard {
    return this.policies.guard;
  }

  policyOf(id: string): Promise<Policy> {
    return this.policies.policyOf(id);
  }

  /** The sandbox a component gets from its policy, `--env` values and secrets (after changes in flight). */
  sandboxFor(id: string): Promise<SandboxSpec> {
    return this.policies.serialize(id, () => this.policies.sandboxFor(id));
  }

  /** How many components have a change (load, unload, permission change) queued or running. */
  get changesInFlight(): number {
    return this.policies.changesInFlight;
  }

  /** Applies `change` to a component's policy; see `PolicyBook.change`. */
  async changePolicy(id: string, change: (policy: Policy) => Policy): Promise<PolicyChange> {
    this.refuseIfManifest('permissions');
    return this.policies.change(id, change);
  }

  /** The prepared component of a loaded id (see `ComponentHost.prepared`). */
  preparedComponent(
    id: string,
  ): { prepared: PreparedComponent; sandbox: SandboxSpec; timeoutMs: number } | undefined {
    return this.host.prepared(id);
  }

  /** Starts every component of the component directory (with `only`, those ids; see restore.ts). */
  restore(only?: readonly string[]): Promise<RestoreReport> {
    return restoreComponents(this.loader, () => this.closed, only).then((report) => {
      for (const problem of report.skipped) this.clientLog.restoreProblem(problem.id, problem.message);
      return report;
    });
  }

  /** Closes every McpServer and stops the host (every instance and worker). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    try {
      await Promise.allSettled(this.tools.connected().map((mcp) => mcp.close()));
    } finally {
      await this.host.stop();
    }
  }
}
