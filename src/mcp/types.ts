/** Types shared by the parts of the MCP layer: what the built-in tools ask of the server. */
import type { ComponentSummary, LoadResult } from '../machines/index.ts';
import type { PreparedComponent, SandboxSpec } from '../runtime/index.ts';
import type { GrantGuard, Policy } from '../runtime/policy/index.ts';

/** Progress of a long load, as reported to the client. */
export type ProgressSink = (step: { message: string; progress: number; total: number }) => void;

/** What `loadComponent` did. */
export interface LoadReport extends LoadResult {
  stateful: boolean;
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
  loadComponent(
    path: string,
    stateful: boolean,
    onProgress?: ProgressSink,
    policyPath?: string,
    /** Aborted when the client cancels: the load is abandoned and nothing is stored. */
    signal?: AbortSignal,
  ): Promise<LoadReport>;
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
