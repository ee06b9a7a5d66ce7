/**
 * Shared types of the runtime layer: the WIT type model decoded from a component binary, the
 * capability description of a sandbox, and the shapes of tools and call results.
 */

/** A WIT value type, as decoded from a component's type sections. */
export type WitType =
  | { kind: 'bool' }
  | { kind: 's8' | 'u8' | 's16' | 'u16' | 's32' | 'u32' | 's64' | 'u64' }
  | { kind: 'f32' | 'f64' }
  | { kind: 'char' }
  | { kind: 'string' }
  | { kind: 'list'; element: WitType }
  | { kind: 'record'; name?: string; fields: { name: string; type: WitType }[] }
  | { kind: 'tuple'; types: WitType[] }
  | { kind: 'variant'; name?: string; cases: { name: string; type?: WitType }[] }
  | { kind: 'enum'; name?: string; cases: string[] }
  | { kind: 'flags'; name?: string; flags: string[] }
  | { kind: 'option'; type: WitType }
  | { kind: 'result'; ok?: WitType; err?: WitType }
  | { kind: 'own' | 'borrow'; resource: string };

export type WitKind = WitType['kind'];

/** An integer kind of WIT. */
export type WitIntKind = 's8' | 'u8' | 's16' | 'u16' | 's32' | 'u32' | 's64' | 'u64';

/** One function a component exports, at world level or inside an exported interface. */
export interface ExportedFunction {
  /**
   * Full name of the exported interface (`local:time-server/time`, `wasi:cli/run@0.2.0`), or
   * undefined for a function exported at world level.
   */
  interface?: string;
  /**
   * The function's name as in the component: `get-current-time`, or for resources
   * `[constructor]counter`, `[method]counter.get`, `[static]counter.make`.
   */
  name: string;
  /** `docs`: the parameter's documentation, when the function's docs describe it (see decode/applyDocs.ts). */
  params: { name: string; type: WitType; docs?: string }[];
  /** Undefined when the function returns nothing. */
  result?: WitType;
  /** Documentation taken from the component, when it has any. */
  docs?: string;
}

/** What a component's binary says about it. */
export interface ComponentTypes {
  functions: ExportedFunction[];
  /** Full names of everything the component imports (`wasi:cli/environment@0.2.3`, `local:x/y`). */
  imports: string[];
}

/** JSON value. */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

/** A JSON Schema (the subset that wasmactor generates). */
export type JsonSchema = { [key: string]: unknown };

/** One MCP tool made from one exported function. */
export interface ToolDefinition {
  /** Tool name per DESIGN.md: `fetch` or `local_time-server_time_get-current-time`. */
  name: string;
  description: string;
  inputSchema: JsonSchema;
  outputSchema: JsonSchema;
  /** The function behind the tool. */
  function: ExportedFunction;
}

/** One directory the guest may see. */
export interface Preopen {
  /** Absolute path on the host. */
  hostPath: string;
  /** Absolute path the guest sees (`/data`). */
  guestPath: string;
  /** A read-only preopen refuses every mutation (create, write, rename, unlink, set-times...). */
  readOnly: boolean;
}

/** Everything a sandboxed instance may see of the host. Nothing else is visible. */
export interface SandboxSpec {
  env?: Record<string, string>;
  preopens?: Preopen[];
  /** Hosts that outgoing `wasi:http` requests may reach (`api.example.com`, `127.0.0.1:8080`). */
  allowedHosts?: string[];
  /** Bytes the guest reads from stdin. */
  stdin?: Uint8Array;
  /** Bytes of stdout and of stderr kept per call; the rest is dropped and marked truncated. */
  outputLimit?: number;
  /** Cap on the guest's linear memory, in bytes. */
  memoryLimit?: number;
}

/** Output a guest wrote during one call. */
export interface CapturedOutput {
  stdout: string;
  stderr: string;
  /** True when some output was dropped because it went past the limit. */
  truncated: boolean;
}

/**
 * An access the sandbox refused during a call, recorded by the host itself (never read from guest output,
 * which the guest controls): an HTTP request to a host no grant allows, or a change under a read-only
 * grant (`uri` is the grant's `fs://` URI).
 */
export type Denial =
  | { kind: 'network'; scheme: string; authority: string }
  | { kind: 'read-only'; uri: string };

/**
 * The outcome of one call. A WIT `result::err` is a normal answer (`ok: false`), not a fault;
 * faults (trap, exit, time-out, host error) are thrown as `RuntimeError` (which carries `denials` too).
 * `denials` is present when the sandbox refused something during the call, each access once.
 */
export type CallOutcome =
  | { ok: true; value: Json; output: CapturedOutput; durationMs: number; denials?: Denial[] }
  | { ok: false; error: Json; output: CapturedOutput; durationMs: number; denials?: Denial[] };

/**
 * Where a component's bytes come from. `sha256`: the caller's hex sha256 of these very bytes when it has
 * just computed or checked it (the loader hashes what it stores, a restore checks the stored digest), so
 * a load hashes its bytes once; it keys the transpile cache, so it must never be a guess.
 */
export type ComponentSource = { path: string } | { bytes: Uint8Array; name?: string; sha256?: string };

/** Options for preparing a component. */
export interface PrepareOptions {
  /** Directory of the on-disk transpile cache (default: `$XDG_CACHE_HOME/wasmactor`). */
  cacheDir?: string;
  /** Reports progress of a long preparation (transpile, compile). */
  onProgress?: (step: { message: string; progress: number; total: number }) => void;
  signal?: AbortSignal;
  /**
   * Cap on the linear memory of every instance, in bytes (see memoryLimit.ts), from the component's
   * policy (`resources.limits.memory`); it wins over `maxMemory`. It is compiled into the core modules,
   * so a different limit needs the component prepared again.
   */
  memoryLimit?: number;
  /**
   * The server's cap on the linear memory of every instance when the policy sets none, in bytes
   * (`--max-memory`; default 1 GiB). A guest's `memory.grow` past it fails inside the guest.
   */
  maxMemory?: number;
  /** Largest component file accepted, in bytes (`--max-component-size`; default 256 MiB). */
  maxComponentSize?: number;
  /**
   * A worker of stateless calls idle for this long is ended, with its warm instance (`--worker-idle`;
   * default 60,000 ms; 0 keeps none, every call then starts a worker). The transpile worker (a cache
   * miss) is kept warm as long after its last transpile.
   */
  workerIdleMs?: number;
}

/** Options for one call. */
export interface CallOptions {
  /** Time limit in ms (default 30 000). Past it the worker is killed and the call fails with `timeout`. */
  timeoutMs?: number;
  /** Aborting kills the call (`cancelled`); the instance is lost. */
  signal?: AbortSignal;
}

/** A live, sandboxed instance of a component, in its own worker thread. */
export interface ComponentInstance {
  /** Calls the function behind `tool` with JSON arguments (validated before the guest is entered). */
  call(tool: string, args: JsonObject, options?: CallOptions): Promise<CallOutcome>;
  /** Drops the instance, closes what it opened and ends its worker. Safe to call twice. */
  dispose(): Promise<void>;
  /** False once disposed, or after a fault (trap, exit, time-out) poisoned it. */
  readonly alive: boolean;
}

/** A component prepared for instantiation: types decoded, transpiled, core modules compiled. */
export interface PreparedComponent {
  readonly sha256: string;
  readonly types: ComponentTypes;
  readonly tools: ToolDefinition[];
  /** Creates a sandboxed instance (bounded by `options.timeoutMs`, ended by `options.signal`); an
   * initialisation failure rejects with a `RuntimeError`. */
  instantiate(sandbox: SandboxSpec, options?: CallOptions): Promise<ComponentInstance>;
  /** One call on a fresh instance that is disposed afterwards (the stateless mode). */
  callOnce(tool: string, args: JsonObject, sandbox: SandboxSpec, options?: CallOptions): Promise<CallOutcome>;
  /** Ends every worker this component still holds. */
  dispose(): Promise<void>;
}

/** The runtime as the machines layer sees it. */
export interface ComponentRuntime {
  prepare(source: ComponentSource, options?: PrepareOptions): Promise<PreparedComponent>;
}
