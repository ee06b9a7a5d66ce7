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

export type WorkerRequest =
  | { type: 'instantiate'; id: number; instanceId: number; component: ComponentPayload; sandbox: SandboxSpec }
  | { type: 'call'; id: number; instanceId: number; fn: number; args: JsonObject }
  | {
      type: 'call-once';
      id: number;
      component: ComponentPayload;
      sandbox: SandboxSpec;
      fn: number;
      args: JsonObject;
    }
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
