/**
 * Whether a JSON value is a value of a WIT type: the check `wasmactor check` makes of every result. It
 * uses the input rules (the same table as the schemas), so "matches" means exactly "the schema accepts it".
 */

import { RuntimeError } from '../RuntimeError.ts';
import type { ExportedFunction, Json, WitType } from '../types.ts';
import { type HandleTable, toGuest } from './rules.ts';

/** Any positive integer is a handle here: a result's handles are checked for their form only. */
const anyHandle: HandleTable = {
  toGuest: (_resource, handle) => handle,
  fromGuest: () => 0,
};

/** Undefined when `json` is a value of `type`; otherwise what is wrong, naming the path (`result.x`). */
export function typeMismatch(type: WitType | undefined, json: Json, path = 'result'): string | undefined {
  if (type === undefined)
    return json === null ? undefined : `${path}: expected null (no result), got a value`;
  try {
    toGuest(type, json, path, anyHandle);
    return undefined;
  } catch (error) {
    if (error instanceof RuntimeError) return error.message;
    throw error;
  }
}

/**
 * Undefined when a call's answer matches `fn`'s declared result: a success is `{"ok": ...}` for a
 * function that returns a result, else the value; a WIT error (`ok: false`) is `{"err": ...}`.
 */
export function resultMismatch(fn: ExportedFunction, ok: boolean, json: Json): string | undefined {
  if (!ok && fn.result?.kind !== 'result')
    return `${fn.name} does not return a result, yet it answered an error`;
  const problem = typeMismatch(fn.result, json);
  if (problem) return problem;
  if (fn.result?.kind === 'result') {
    const side = ok ? 'ok' : 'err';
    if (json === null || typeof json !== 'object' || !Object.hasOwn(json, side)) {
      return `result: a ${ok ? 'success' : 'WIT error'} must be {"${side}": ...}`;
    }
  }
  return undefined;
}
