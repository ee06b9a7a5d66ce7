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
  /** An `_instance` / `instance` argument that is no handle, or a handle of another server replica. */
  | 'bad-instance'
  /** The client cancelled a `load-component` before it finished: nothing was loaded or stored. */
  | 'load-cancelled'
  /** `serve --http` cannot start as asked (a token file unusable, a non-loopback bind without one...). */
  | 'http-config'
  /** A remote source cannot be reached: unknown host, connection refused, TLS failure (hint: NODE_EXTRA_CA_CERTS). */
  | 'source-unreachable'
  /** A remote source answered 404: the message says which part (registry, repository, tag, blob, URL). */
  | 'source-not-found'
  /** A remote source answered 401/403: the message says whether credentials (~/.docker/config.json) were sent. */
  | 'source-denied'
  /** A remote source is not a component artifact (bad reference, wrong media type, several layers...). */
  | 'source-invalid'
  /** A download is larger than `--max-component-size` (or another limit it names). */
  | 'source-too-large'
  /** A download did not finish within its time limit. */
  | 'source-timeout'
  /** Downloaded bytes do not have the digest that was asked for or announced: nothing is stored. */
  | 'digest-mismatch'
  /**
   * A manifest file (`--manifest`) cannot be read or is invalid (file:line: field and why), or a component
   * it lists cannot be fetched or loaded when `serve --manifest` starts (the start is refused).
   */
  | 'bad-manifest'
  /** `load-component`/`unload-component` on a server started with `--manifest`: the manifest owns the set. */
  | 'manifest-owned';

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
