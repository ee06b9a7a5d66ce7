/**
 * File arguments that must name a local file: `policy_path` (a policy grants permissions, so it is read
 * from a file the user keeps, never downloaded) and the path of `wasmactor component load`. A component
 * source of `load-component` can be remote too: see `sources/sourceReference.ts`.
 */
import { basename, extname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isValidComponentId } from './ComponentStore.ts';
import { McpError } from './McpError.ts';

/** A resolved component location. */
export interface ComponentLocation {
  /** Absolute file path. */
  path: string;
  /** The component id: the file stem, as in wassette (`/x/time-server.wasm` -> `time-server`). */
  id: string;
}

/** What a file argument names, for the messages that refuse one. */
export interface FileKind {
  /** The argument, as the user wrote it in the tool call (`path`, `policy_path`). */
  argument: string;
  /** What the file is, in "give a ... path" (`.wasm file`, `policy file`). */
  file: string;
  /** Why a URL is refused and what to do instead, after "<argument> takes a local file: ". */
  remote: string;
}

const COMPONENT_FILE: FileKind = {
  argument: 'path',
  file: '.wasm file',
  remote:
    'load https:// and oci:// components with load-component (or a manifest), or download the .wasm file and give its path',
};

/**
 * Resolves a file argument: a path (relative ones against `cwd`) or a `file://` URI, to an absolute
 * path. `https://`, `http://` and `oci://` are refused with the kind's reason, other schemes as unknown,
 * with an `McpError('bad-path')` whose message names the argument.
 */
export function resolveFileArgument(path: string, kind: FileKind, cwd = process.cwd()): string {
  const trimmed = path.trim();
  const give = `give a ${kind.file} path or a file:// URI`;
  if (trimmed === '') throw new McpError('bad-path', `${kind.argument} is empty; ${give}`);
  const scheme = /^([a-zA-Z][a-zA-Z0-9+.-]*):\/\//.exec(trimmed)?.[1]?.toLowerCase();
  if (scheme === undefined) return resolve(cwd, trimmed);
  if (scheme === 'file') {
    try {
      return fileURLToPath(trimmed);
    } catch (error) {
      throw new McpError('bad-path', `"${trimmed}" is not a valid file:// URI (${(error as Error).message})`);
    }
  }
  if (scheme === 'https' || scheme === 'http' || scheme === 'oci') {
    throw new McpError('bad-path', `${kind.argument} takes a local file, not ${scheme}://: ${kind.remote}`);
  }
  throw new McpError('bad-path', `unknown scheme "${scheme}://" in ${kind.argument}; ${give}`);
}

/** Resolves `path` (relative paths against `cwd`) and derives the component id. */
export function resolveComponentPath(path: string, cwd = process.cwd()): ComponentLocation {
  const file = resolveFileArgument(path, COMPONENT_FILE, cwd);
  const stem = basename(file, extname(file));
  if (!isValidComponentId(stem)) {
    throw new McpError(
      'bad-path',
      `cannot use "${stem}" as a component id (the file name without extension): use letters, digits, ".", "_" and "-"`,
    );
  }
  return { path: file, id: stem };
}
