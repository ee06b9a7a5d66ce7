/**
 * MCP tool names of exported functions (DESIGN.md, "MCP contract").
 *
 * - world level: the function name as is (`fetch`);
 * - in an interface: `normalize(interface) + '_' + name` (`local_time-server_time_get-current-time`);
 * - resource functions: `[constructor]acc` -> `acc_new`, `[method]acc.add` -> `acc_add`,
 *   `[static]acc.make` -> `acc_make`, then the interface prefix as usual;
 * - at most 128 characters: a longer name keeps its first 119 characters and ends in `_` plus the
 *   first 8 hex digits of the sha256 of the full name, so two long names that share a prefix stay apart.
 */
import { createHash } from 'node:crypto';
import type { ExportedFunction } from '../types.ts';

/** The longest tool name MCP clients accept. */
export const MAX_TOOL_NAME_LENGTH = 128;

/** Lowercases and maps every character outside `[a-z0-9-]` to `_`. */
export function normalizeInterfaceName(name: string): string {
  return name.toLowerCase().replace(/[^a-z0-9-]/g, '_');
}

/** `[constructor]acc` -> `acc_new`, `[method]acc.add` -> `acc_add`; other names are returned as they are. */
export function functionToolName(name: string): string {
  const ctor = /^\[constructor\](.+)$/.exec(name);
  if (ctor) return `${ctor[1]}_new`;
  const member = /^\[(?:method|static)\]([^.]+)\.(.+)$/.exec(name);
  if (member) return `${member[1]}_${member[2]}`;
  return name;
}

/** First 8 hex digits of the sha256 of `text`. */
export function shortHash(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 8);
}

/** Cuts a name longer than 128 characters and marks it with a hash of the full name. */
export function limitToolName(name: string): string {
  if (name.length <= MAX_TOOL_NAME_LENGTH) return name;
  return `${name.slice(0, MAX_TOOL_NAME_LENGTH - 9)}_${shortHash(name)}`;
}

/** The MCP tool name of one exported function. */
export function toolName(fn: ExportedFunction): string {
  const base = functionToolName(fn.name);
  const full = fn.interface === undefined ? base : `${normalizeInterfaceName(fn.interface)}_${base}`;
  return limitToolName(full);
}
