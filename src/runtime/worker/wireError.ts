/** Whatever a guest call threw, converted once into the runtime's own error shape (`WireError`). */
import { RuntimeError } from '../RuntimeError.ts';
import { GuestExit, MissingImportError } from '../sandbox/index.ts';
import type { ExportedFunction } from '../types.ts';
import type { WireError } from './protocol.ts';

/** A guest `err` that jco threw as a `ComponentError` (its payload is the WIT error value). */
export function isComponentError(error: unknown): error is { payload: unknown } {
  return (
    error instanceof Error &&
    error.constructor.name === 'ComponentError' &&
    Object.hasOwn(error as object, 'payload')
  );
}

/** Converts whatever a guest call threw into the runtime's own error shape, once, here. */
export function toWireError(error: unknown, fn?: ExportedFunction, doing = 'the call'): WireError {
  const where = fn ? ` in ${fn.name}` : '';
  if (error instanceof RuntimeError) return { code: error.code, message: error.message };
  if (error instanceof GuestExit) {
    return {
      code: 'exit',
      message: `the component called exit with code ${error.exitCode}${where}`,
      exitCode: error.exitCode,
    };
  }
  if (error instanceof MissingImportError) {
    return {
      code: 'missing-import',
      message: `the component called ${error.importName}#${error.func}, an import that wasmactor does not provide`,
    };
  }
  if (error instanceof WebAssembly.RuntimeError) {
    return { code: 'trap', message: `the component trapped${where}: ${error.message}` };
  }
  if (error instanceof RangeError && /call stack/i.test(error.message)) {
    return { code: 'trap', message: `the component trapped${where}: stack overflow (${error.message})` };
  }
  return { code: 'host-error', message: `${doing} failed${where}: ${describeThrown(error)}` };
}

/** Text for any thrown value; WASI throws `{tag}` objects and strings, and a value may hold a BigInt. */
function describeThrown(error: unknown): string {
  if (error instanceof Error) return error.message;
  if (typeof error === 'string') return error;
  try {
    return JSON.stringify(error, (_key, value) => (typeof value === 'bigint' ? value.toString() : value));
  } catch {
    return String(error);
  }
}
