/** Errors that the sandbox's imports throw through the guest, for the instance host to convert. */

/** Thrown by `wasi:cli/exit` instead of ending the process; the instance is gone afterwards. */
export class GuestExit extends Error {
  override readonly name = 'GuestExit';
  constructor(readonly exitCode: number) {
    super(`guest exited with code ${exitCode}`);
  }
}

/** Thrown when the guest calls a function of an import that wasmactor does not provide. */
export class MissingImportError extends Error {
  override readonly name = 'MissingImportError';
  constructor(
    readonly importName: string,
    readonly func: string,
  ) {
    super(`the component called '${func}' of '${importName}', which wasmactor does not provide`);
  }
}
