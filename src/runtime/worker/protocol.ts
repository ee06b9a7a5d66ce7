/** Messages between the main thread and an instance worker (see instanceWorker.ts). */
import type { RuntimeErrorCode } from '../RuntimeError.ts';
import type { CapturedOutput, Denial, ExportedFunction, Json, JsonObject, SandboxSpec } from '../types.ts';

/** What a worker needs to instantiate a component; modules are compiled once, in the main thread. */
export interface ComponentPayload {
  gluePath: string;
  modules: Record<string, WebAssembly.Module>;
  functions: ExportedFunction[];
  imports: string[];
}

/** The sandbox of stateless calls; `version` changes whenever the sandbox does (see StatelessPool.ts). */
export interface VersionedSandbox {
  version: number;
  spec: SandboxSpec;
}

/**
 * `setup`: a new worker of stateless calls gets the component and the sandbox, and loads the glue; it
 * answers then, and makes its first instance right after. `fresh-call`: one call on a fresh instance;
 * `sandbox` is sent when the worker has not seen that version yet (the worker keeps it).
 */
export type WorkerRequest =
  | { type: 'instantiate'; id: number; instanceId: number; component: ComponentPayload; sandbox: SandboxSpec }
  | { type: 'call'; id: number; instanceId: number; fn: number; args: JsonObject }
  | { type: 'setup'; id: number; component: ComponentPayload; sandbox: VersionedSandbox }
  | {
      type: 'fresh-call';
      id: number;
      fn: number;
      args: JsonObject;
      sandbox?: VersionedSandbox;
    }
  /** Disposes the instance (and a stateless worker's warm instance), closing what the guest opened. */
  | { type: 'dispose'; id: number; instanceId: number };

/** An error as it crosses the thread boundary. */
export interface WireError {
  code: RuntimeErrorCode;
  message: string;
  exitCode?: number;
  output?: CapturedOutput;
  /** Written by the sandbox (host side), never parsed from guest output. */
  denials?: Denial[];
}

export type WorkerReply =
  | { id: number; type: 'done' }
  | { id: number; type: 'value'; value: Json; output: CapturedOutput; durationMs: number; denials?: Denial[] }
  | { id: number; type: 'err'; error: Json; output: CapturedOutput; durationMs: number; denials?: Denial[] }
  | { id: number; type: 'fault'; error: WireError };
