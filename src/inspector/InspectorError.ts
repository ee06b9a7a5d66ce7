/** Every way starting the inspector can fail, as a stable string code. */
export type InspectorErrorCode =
  /** The port is not an integer in 0..65535. */
  | 'invalid-port'
  /** Another process listens on the port. */
  | 'port-in-use'
  /** Listening failed for another reason. */
  | 'listen-failed';

/** The one error class of the inspector layer. */
export class InspectorError extends Error {
  override readonly name = 'InspectorError';

  constructor(
    readonly code: InspectorErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
  }
}
