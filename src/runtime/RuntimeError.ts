import type { CapturedOutput, Denial } from './types.ts';

/** Every way the runtime can fail, as a stable string code that callers switch on. */
export type RuntimeErrorCode =
  /** The component file does not exist or cannot be read. */
  | 'not-found'
  /** The component path names something other than a regular file (a FIFO, a device, a directory, a socket). */
  | 'not-a-file'
  /** The component is larger than the limit on component size (`maxComponentSize`). */
  | 'too-large'
  /** The bytes are not WebAssembly at all. */
  | 'not-wasm'
  /** The bytes are a core wasm module, not a component. */
  | 'core-module'
  /** The binary ends in the middle of a section. */
  | 'truncated'
  /** The binary is a component but something in it cannot be decoded or transpiled. */
  | 'invalid-component'
  /** No exported function has this tool name. */
  | 'unknown-tool'
  /** An argument does not match the function's parameter types. */
  | 'invalid-argument'
  /** The guest trapped (unreachable, out of bounds, stack overflow, out of memory...). */
  | 'trap'
  /** The guest called `wasi:cli/exit`. */
  | 'exit'
  /** The call ran past its time limit and its worker was killed. */
  | 'timeout'
  /** The call was cancelled by its caller. */
  | 'cancelled'
  /** The guest called an import that wasmactor does not provide. */
  | 'missing-import'
  /** The instance was disposed (or poisoned by an earlier fault) and cannot be entered again. */
  | 'instance-gone'
  /** Something failed on the host side (worker crash, I/O error). */
  | 'host-error'
  /** A policy file or a grant is not valid (the message names the field and, for files, the line). */
  | 'invalid-policy';

/**
 * The one error class of the runtime layer. Values that jco and WASI throw (strings, `{tag}`
 * objects, `ComponentError`) are converted into this at the runtime edge.
 */
export class RuntimeError extends Error {
  override readonly name = 'RuntimeError';
  /** Guest output written before the fault, when the fault happened during a call. */
  output?: CapturedOutput;
  /** The exit code, for `exit`. */
  exitCode?: number;
  /** Accesses the sandbox refused during the call, recorded by the host (see `Denial`). */
  denials?: Denial[];

  constructor(
    readonly code: RuntimeErrorCode,
    message: string,
    options?: { cause?: unknown; output?: CapturedOutput; exitCode?: number; denials?: Denial[] },
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    if (options?.output) this.output = options.output;
    if (options?.denials?.length) this.denials = options.denials;
    if (options?.exitCode !== undefined) this.exitCode = options.exitCode;
  }

  /** True for faults after which the instance must not be entered again. */
  get poisonsInstance(): boolean {
    return poisonsInstance(this.code);
  }
}

/**
 * Faults after which an instance must not be entered again, decided once for both sides of the worker
 * boundary. A guest that reached a missing import is dead too: the stub's throw unwinds through it, and a
 * JS guest traps on its next call.
 */
export function poisonsInstance(code: RuntimeErrorCode): boolean {
  return (
    code === 'trap' ||
    code === 'exit' ||
    code === 'timeout' ||
    code === 'host-error' ||
    code === 'cancelled' ||
    code === 'instance-gone' ||
    code === 'missing-import'
  );
}
