/**
 * The file arguments of `load-component` (`path`, `policy_path`): a file path or `file://` URI.
 * `https://` and `oci://` are recognised and refused with a clear message until they are supported.
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
  /** What cannot be read from a URL yet, in "loading ... from https://" (`components`, `policy files`). */
  things: string;
}

const COMPONENT_FILE: FileKind = { argument: 'path', file: '.wasm file', things: 'components' };

/**
 * Resolves a file argument: a path (relative ones against `cwd`) or a `file://` URI, to an absolute
 * path. `https://`, `http://` and `oci://` are refused as not supported yet, other schemes as unknown,
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
    throw new McpError(
      'bad-path',
      `loading ${kind.things} from ${scheme}:// is not supported yet; download the ${kind.file} and give its file path as ${kind.argument}`,
    );
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
