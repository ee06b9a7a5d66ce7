/**
 * The `path` argument of `load-component`: a file path or `file://` URI. `https://` and `oci://` are
 * recognised and refused with a clear message until they are supported.
 */
import { basename, extname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isValidComponentId } from './ComponentStore.ts';

/** A resolved component location. */
export interface ComponentLocation {
  /** Absolute file path. */
  path: string;
  /** The component id: the file stem, as in wassette (`/x/time-server.wasm` -> `time-server`). */
  id: string;
}

/** Thrown for a `path` that cannot be used; its message is meant for the user. */
export class ComponentPathError extends Error {
  override readonly name = 'ComponentPathError';
}

/** Resolves `path` (relative paths against `cwd`) and derives the component id. */
export function resolveComponentPath(path: string, cwd = process.cwd()): ComponentLocation {
  const trimmed = path.trim();
  if (trimmed === '') throw new ComponentPathError('path is empty; give a .wasm file path or a file:// URI');
  const scheme = /^([a-zA-Z][a-zA-Z0-9+.-]*):\/\//.exec(trimmed)?.[1]?.toLowerCase();
  let file: string;
  if (scheme === undefined) {
    file = resolve(cwd, trimmed);
  } else if (scheme === 'file') {
    try {
      file = fileURLToPath(trimmed);
    } catch (error) {
      throw new ComponentPathError(`"${trimmed}" is not a valid file:// URI (${(error as Error).message})`);
    }
  } else if (scheme === 'https' || scheme === 'http' || scheme === 'oci') {
    throw new ComponentPathError(
      `loading components from ${scheme}:// is not supported yet; download the .wasm file and load it by its file path`,
    );
  } else {
    throw new ComponentPathError(`unknown scheme "${scheme}://"; give a .wasm file path or a file:// URI`);
  }
  const stem = basename(file, extname(file));
  if (!isValidComponentId(stem)) {
    throw new ComponentPathError(
      `cannot use "${stem}" as a component id (the file name without extension): use letters, digits, ".", "_" and "-"`,
    );
  }
  return { path: file, id: stem };
}
