/** Every way the MCP layer itself can fail, as a stable string code that `errorToResult` switches on. */
export type McpErrorCode =
  /** A file argument (`path`, `policy_path`) is empty, not a usable URI, or names no valid component id. */
  | 'bad-path'
  /** A string that cannot be a component id (and so a folder name in the component directory). */
  | 'invalid-id'
  /** No component of this id is loaded. */
  | 'not-loaded'
  /** An entry of the component directory cannot be used (metadata unreadable, file missing, hash differs). */
  | 'broken-entry'
  /** Writing to the component directory failed (the component or its new policy is not saved). */
  | 'store-failed'
  /** A policy file exists but cannot be read. */
  | 'policy-unreadable'
  /** The component's secrets file cannot be read or is not a mapping of KEY: value. */
  | 'secrets-unreadable'
  /** Building the example components failed (`serve --examples`). */
  | 'examples-failed'
  /** The client cancelled a `load-component` before it finished: nothing was loaded or stored. */
  | 'load-cancelled';

/** The one error class of the MCP layer; `cause` holds the error of a lower layer when there is one. */
export class McpError extends Error {
  override readonly name = 'McpError';

  constructor(
    readonly code: McpErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
  }
}
