/**
 * The schema of `metadata.json` in the component directory, checked by hand: a stored entry is data that
 * anyone (or a crash, or a disk) may have changed, so nothing of it is used before it has been checked.
 */
import type { ToolDefinition } from '../runtime/index.ts';

/** What `metadata.json` holds. */
export interface ComponentMetadata {
  /** Format version of this file. */
  version: 1;
  id: string;
  /**
   * Where the component was loaded from: an absolute path, an `https://` URL (without fragment) or an
   * `oci://` reference as given. For people, a manifest and `component sync`; a restart never reads it.
   */
  source: string;
  /**
   * The reference that names exactly the stored bytes, for a remote source: `https://…#sha256=HEX`, or
   * `oci://REGISTRY/REPO@sha256:MANIFEST`. Absent for files (and in entries written before it existed).
   */
  pinned?: string;
  /** sha256 (hex) of `component.wasm`, the digest of the component; checked on restore. */
  sha256: string;
  stateful: boolean;
  /** The tools as they were when it was loaded, so they can be listed before the component is ready. */
  tools: ToolDefinition[];
  /** ISO time of the load. */
  loadedAt: string;
}

/**
 * Deepest nesting of arrays and objects accepted in `metadata.json`. Far above what a tool schema needs,
 * and far below what `JSON.stringify` (which lists the tools) can take before the stack runs out.
 */
export const MAX_METADATA_DEPTH = 1000;

/** The longest tool name stored (the runtime cuts names at 128 characters). */
const MAX_TOOL_NAME = 128;

type Record_ = Record<string, unknown>;

/** `null`, `an array`, `a string`... for a message. */
function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return 'an object';
  if (typeof value === 'string') return 'a string';
  if (typeof value === 'number') return 'a number';
  if (typeof value === 'boolean') return 'a boolean';
  return typeof value;
}

function isObject(value: unknown): value is Record_ {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Nesting depth of a parsed JSON value, walked without recursion; stops counting past `limit`. */
function depthExceeds(value: unknown, limit: number): boolean {
  const stack: { value: unknown; depth: number }[] = [{ value, depth: 0 }];
  while (stack.length > 0) {
    const top = stack.pop() as { value: unknown; depth: number };
    if (typeof top.value !== 'object' || top.value === null) continue;
    const depth = top.depth + 1;
    if (depth > limit) return true;
    for (const child of Object.values(top.value)) stack.push({ value: child, depth });
  }
  return false;
}

/** The problem with one field, or undefined: `"loadedAt" is missing (expected an ISO time string)`. */
function fieldProblem(
  owner: Record_,
  key: string,
  where: string,
  expected: string,
  ok: (value: unknown) => boolean,
): string | undefined {
  if (!Object.hasOwn(owner, key)) return `"${where}" is missing (expected ${expected})`;
  const value = owner[key];
  if (ok(value)) return undefined;
  // The value itself is not echoed: a message never shows file contents.
  return `"${where}" is ${describe(value)}, expected ${expected}`;
}

const isString = (v: unknown) => typeof v === 'string';

function toolProblem(tool: unknown, where: string): string | undefined {
  if (!isObject(tool)) return `"${where}" is ${describe(tool)}, expected a tool object`;
  const fn = tool.function;
  return (
    fieldProblem(
      tool,
      'name',
      `${where}.name`,
      `a tool name of 1 to ${MAX_TOOL_NAME} characters`,
      (v) => typeof v === 'string' && v.length > 0 && v.length <= MAX_TOOL_NAME,
    ) ??
    fieldProblem(tool, 'description', `${where}.description`, 'a string', isString) ??
    fieldProblem(tool, 'inputSchema', `${where}.inputSchema`, 'a JSON Schema object', isObject) ??
    schemaTypeProblem(tool.inputSchema as Record_, `${where}.inputSchema`) ??
    fieldProblem(tool, 'outputSchema', `${where}.outputSchema`, 'a JSON Schema object', isObject) ??
    schemaTypeProblem(tool.outputSchema as Record_, `${where}.outputSchema`) ??
    fieldProblem(tool, 'function', `${where}.function`, 'an object', isObject) ??
    fieldProblem(fn as Record_, 'name', `${where}.function.name`, 'a string', isString) ??
    fieldProblem(fn as Record_, 'params', `${where}.function.params`, 'an array', Array.isArray) ??
    paramsProblem((fn as Record_).params as unknown[], `${where}.function.params`)
  );
}

/**
 * MCP tool schemas describe objects, and wasmactor writes `type: "object"` in every one: a stored input
 * schema of another type would make the SDK refuse the whole `tools/list` while the component loads.
 */
function schemaTypeProblem(schema: Record_, where: string): string | undefined {
  return fieldProblem(schema, 'type', `${where}.type`, 'the string "object"', (v) => v === 'object');
}

function paramsProblem(params: unknown[], where: string): string | undefined {
  for (const [index, param] of params.entries()) {
    const at = `${where}[${index}]`;
    if (!isObject(param)) return `"${at}" is ${describe(param)}, expected an object`;
    const problem =
      fieldProblem(param, 'name', `${at}.name`, 'a string', isString) ??
      fieldProblem(param, 'type', `${at}.type`, 'a WIT type object', isObject);
    if (problem) return problem;
  }
  return undefined;
}

function toolsProblem(tools: unknown[]): string | undefined {
  const seen = new Set<string>();
  for (const [index, tool] of tools.entries()) {
    const problem = toolProblem(tool, `tools[${index}]`);
    if (problem) return problem;
    const name = (tool as { name: string }).name;
    if (seen.has(name)) return `"tools[${index}].name" is the name of an earlier tool, expected a new name`;
    seen.add(name);
  }
  return undefined;
}

/**
 * Why `value` (parsed `metadata.json`) is not the metadata of the entry in folder `id`, or undefined
 * when it is (then it is a `ComponentMetadata`). The first problem found is named, with its field path.
 */
export function metadataProblem(value: unknown, id: string): string | undefined {
  if (!isObject(value)) return `it is ${describe(value)}, expected a JSON object`;
  if (depthExceeds(value, MAX_METADATA_DEPTH)) {
    return `it nests arrays and objects more than ${MAX_METADATA_DEPTH} deep`;
  }
  const version = fieldProblem(value, 'version', 'version', 'the number 1', (v) => v === 1);
  if (version) {
    const newer = typeof value.version === 'number' && value.version > 1;
    return newer ? `${version} (written by a newer wasmactor; this one reads version 1)` : version;
  }
  return (
    fieldProblem(value, 'id', 'id', `"${id}", the name of its folder`, (v) => v === id) ??
    fieldProblem(value, 'source', 'source', 'a string', isString) ??
    (Object.hasOwn(value, 'pinned')
      ? fieldProblem(value, 'pinned', 'pinned', 'a string (a pinned reference)', isString)
      : undefined) ??
    fieldProblem(
      value,
      'sha256',
      'sha256',
      '64 lowercase hex digits',
      (v) => typeof v === 'string' && /^[0-9a-f]{64}$/.test(v),
    ) ??
    fieldProblem(value, 'stateful', 'stateful', 'true or false', (v) => typeof v === 'boolean') ??
    fieldProblem(value, 'tools', 'tools', 'an array of tools', Array.isArray) ??
    toolsProblem(value.tools as unknown[]) ??
    fieldProblem(
      value,
      'loadedAt',
      'loadedAt',
      'an ISO time string',
      (v) => typeof v === 'string' && !Number.isNaN(Date.parse(v)),
    )
  );
}
