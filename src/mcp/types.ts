/** Types shared by the parts of the MCP layer: what the built-in tools ask of the server. */
import type { ComponentSummary, LoadResult } from '../machines/index.ts';
import type { PreparedComponent, SandboxSpec } from '../runtime/index.ts';
import type { GrantGuard, Policy } from '../runtime/policy/index.ts';

/** Progress of a long load, as reported to the client (`total` unknown while a download has no length). */
export type ProgressSink = (step: { message: string; progress: number; total?: number | undefined }) => void;

/**
 * One load of a component (`load-component`, a manifest entry). `source` is a file path (relative to the
 * working directory), `file://`, `https://…/name.wasm[#sha256=HEX]`, loopback `http://`, or
 * `oci://REGISTRY/REPO[:TAG|@sha256:DIGEST]`.
 */
export interface LoadRequest {
  source: string;
  /** The component id; by default the one the source stands for (file stem, last repository segment). */
  id?: string | undefined;
  /** The sha256 (hex, or `sha256:HEX`) the component's bytes must have; a mismatch loads and stores nothing. */
  sha256?: string | undefined;
  stateful: boolean;
  onProgress?: ProgressSink | undefined;
  /** A policy.yaml to apply (a path or `file://`); without it a file source's `<name>.policy.yaml` is used. */
  policyPath?: string | undefined;
  /** A policy given inline (a manifest's `permissions`), with where it came from; wins over `policyPath`. */
  policy?: { policy: Policy; path: string } | undefined;
  /** The client cancelled: the load is abandoned (a download stopped), nothing stored. */
  signal?: AbortSignal | undefined;
}

/** What `loadComponent` did. */
export interface LoadReport extends LoadResult {
  stateful: boolean;
  /** Where it came from, canonical: an absolute path, a URL without fragment, an `oci://` reference. */
  source: string;
  /** sha256 (hex) of the component's bytes. */
  sha256: string;
  /** The reference naming exactly these bytes (`https://…#sha256=HEX`, `oci://…@sha256:DIGEST`); remote only. */
  pinned?: string;
  /** What was transferred: `download` (bytes came over the network), `cache` (a cached download), `file`. */
  fetched: 'file' | 'download' | 'cache';
  /** The policy file that was applied, when one was given or found beside the `.wasm`. */
  policyPath?: string;
}

/** What a permission change did. */
export interface PolicyChange {
  policy: Policy;
  /** A stateful instance keeps its old sandbox until the component is reloaded. */
  reloadNeeded: boolean;
  /** The memory limit changed: it is compiled into the component, so it applies from the next reload. */
  memoryReloadNeeded: boolean;
}

/** The operations the built-in tools call; `WasmactorServer` provides them. */
export interface ComponentManager {
  /** Loads (or reloads) a component from any source and persists it; see `LoadRequest`. */
  load(request: LoadRequest): Promise<LoadReport>;
  /** False when nothing of that id was loaded or stored. */
  unloadComponent(id: string): Promise<boolean>;
  listComponents(): ComponentSummary[];
  policyOf(id: string): Promise<Policy>;
  changePolicy(id: string, change: (policy: Policy) => Policy): Promise<PolicyChange>;
  /** Opens a per-agent instance of a stateful component; resolves to its handle. */
  openInstance(componentId: string, session?: string): Promise<string>;
  /** Closes a per-agent instance; rejects saying why when the handle is foreign, ended or unknown. */
  closeInstance(handle: string): Promise<void>;
  /** Which storage grants are too broad for this server (`--allow-broad-grants` lifts it). */
  readonly grantGuard: GrantGuard;
  /** The prepared component of a loaded id, with its calls' sandbox and time limit (`check-component`). */
  preparedComponent(
    id: string,
  ): { prepared: PreparedComponent; sandbox: SandboxSpec; timeoutMs: number } | undefined;
}
