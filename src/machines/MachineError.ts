import type { RuntimeError } from '../runtime/index.ts';

/** Every way a call or a load can fail at the machines layer, as a stable string code. */
export type MachineErrorCode =
  /** No loaded component exports a tool of this name. */
  | 'unknown-tool'
  /** The component was unloaded (or is being unloaded) before the call was served. */
  | 'unloaded'
  /** Preparing or instantiating the component failed; calls that waited for the load get this too. */
  | 'load-failed'
  /** A stateful instance faulted (trap, exit, time-out, host error); its state is gone. */
  | 'state-lost'
  /** The caller cancelled the call. */
  | 'cancelled'
  /** A stateless call faulted (trap, exit, time-out, host error). Nothing was lost but this call. */
  | 'fault'
  /** The runtime refused the call without entering the guest (bad argument, unknown function...). */
  | 'call-failed'
  /** The host was stopped. */
  | 'stopped'
  /** The component is still loading (open-instance before its first load ended). */
  | 'loading'
  /** open-instance on a component loaded without `stateful: true`. */
  | 'not-stateful'
  /** The component has as many instances open as it may (`maxInstances`). */
  | 'instance-limit'
  /** The instance handle was closed, expired, or ended with a reload or unload; the message says which. */
  | 'instance-ended'
  /** The instance handle is not one this component opened (or it comes from another server). */
  | 'instance-unknown';

/** The one error class of the machines layer. `cause` holds the runtime's error when there is one. */
export class MachineError extends Error {
  override readonly name = 'MachineError';
  declare readonly cause?: RuntimeError | unknown;

  constructor(
    readonly code: MachineErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
  }
}
