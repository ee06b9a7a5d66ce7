/**
 * Exported functions as MCP tools: names, descriptions, input/output schemas, and the conversion of
 * arguments and results between JSON and jco's guest values. Every per-type decision lives in
 * `witRules.ts`; this file applies it to parameter lists and results.
 *
 * A top-level `result<T, E>` return is unwrapped by jco (ok value returned, err thrown as a
 * `ComponentError` with `.payload`). The JSON keeps the WIT shape: a success is `{"ok": <T>}`
 * (`resultToJson`), a failure is `{"err": <E>}` (`errorPayloadToJson`), so both match the output
 * schema `{result: {ok}|{err}}` and the MCP layer can put either into `structuredContent.result`.
 */
import { MAX_NESTING } from '../decode/index.ts';
import { RuntimeError } from '../RuntimeError.ts';
import type {
  ComponentTypes,
  ExportedFunction,
  Json,
  JsonObject,
  JsonSchema,
  ToolDefinition,
  WitType,
} from '../types.ts';
import { describeJson, fromGuest, type HandleTable, schemaOf, toGuest } from './rules.ts';
import { limitToolName, shortHash, toolName } from './toolNames.ts';
import { unreachableReasons } from './unreachableTools.ts';
import { witSignatureText, witTypeText } from './witText.ts';

export type { HandleTable } from './rules.ts';
export { toolName } from './toolNames.ts';

/** A parameter's schema; its docs (when it has any) lead the description. */
function paramSchema(param: ExportedFunction['params'][number]): JsonSchema {
  const schema = schemaOf(param.type);
  if (param.docs === undefined) return schema;
  const own = typeof schema.description === 'string' ? `\n${schema.description}` : '';
  return { ...schema, description: `${param.docs}${own}` };
}

/** An object with one property per parameter (WIT kebab-case names), all required, nothing else. */
export function inputSchema(fn: ExportedFunction): JsonSchema {
  return {
    type: 'object',
    properties: Object.fromEntries(fn.params.map((p) => [p.name, paramSchema(p)])),
    required: fn.params.map((p) => p.name),
    additionalProperties: false,
  };
}

/** `{result: <schema of the return type>}`; a function that returns nothing has `result: null`. */
export function outputSchema(fn: ExportedFunction): JsonSchema {
  return {
    type: 'object',
    properties: { result: fn.result ? schemaOf(fn.result) : { type: 'null' } },
    required: ['result'],
    additionalProperties: false,
  };
}

/**
 * Validates JSON arguments against the parameters and converts them to jco's values, in parameter
 * order. Throws `RuntimeError('invalid-argument')` naming the argument path before the guest is entered.
 */
export function argsToGuest(fn: ExportedFunction, args: JsonObject, handles: HandleTable): unknown[] {
  const names = fn.params.map((p) => p.name);
  const takes = names.length === 0 ? 'takes no arguments' : `takes ${names.map((n) => `"${n}"`).join(', ')}`;
  if (typeof args !== 'object' || args === null || Array.isArray(args)) {
    throw new RuntimeError('invalid-argument', `arguments must be an object, got ${describeJson(args)}`);
  }
  for (const key of Object.keys(args)) {
    if (!names.includes(key))
      throw new RuntimeError('invalid-argument', `unknown argument "${key}": ${fn.name} ${takes}`);
  }
  return fn.params.map((p) => {
    if (!Object.hasOwn(args, p.name)) {
      throw new RuntimeError(
        'invalid-argument',
        `missing argument "${p.name}" (${witTypeText(p.type)}): ${fn.name} ${takes}`,
      );
    }
    return toGuest(p.type, args[p.name], p.name, handles);
  });
}

/** The JSON of what the function returned (`null` when it returns nothing; `{"ok": ...}` for a result). */
export function resultToJson(fn: ExportedFunction, returned: unknown, handles: HandleTable): Json {
  if (!fn.result) return null;
  if (fn.result.kind === 'result') return fromGuest(fn.result, { tag: 'ok', val: returned }, handles);
  return fromGuest(fn.result, returned, handles);
}

/** `{"err": <payload>}` for the payload of a `ComponentError` thrown by a function returning `result<_, E>`. */
export function errorPayloadToJson(fn: ExportedFunction, payload: unknown, handles: HandleTable): Json {
  if (fn.result?.kind !== 'result') {
    throw new RuntimeError(
      'host-error',
      `${fn.name} does not return a result, yet it threw an error payload`,
    );
  }
  return fromGuest(fn.result, { tag: 'err', val: payload }, handles);
}

/** The tool description: the function's docs, then its WIT signature and how errors come back. */
export function toolDescription(fn: ExportedFunction): string {
  const where = fn.interface ? ` (interface ${fn.interface})` : '';
  const lines = [fn.docs?.trim(), `WIT: ${fn.name}: ${witSignatureText(fn)}${where}.`];
  const resource = /^\[(constructor|method|static)\]([^.]+)/.exec(fn.name);
  if (resource) {
    lines.push(
      resource[1] === 'constructor'
        ? `Creates a "${resource[2]}" resource and returns its handle; handles only live in a stateful instance.`
        : `${resource[1] === 'method' ? 'Method' : 'Static function'} of resource "${resource[2]}"; handles only live in a stateful instance.`,
    );
  }
  if (fn.result?.kind === 'result')
    lines.push('Returns {"ok": value}; a WIT error comes back as an error result {"err": value}.');
  return lines.filter((l) => l).join('\n');
}

/** Levels of `type` (1 for a primitive), counted without recursion. */
export function typeDepth(type: WitType): number {
  let deepest = 0;
  const stack: [WitType, number][] = [[type, 1]];
  for (let item = stack.pop(); item !== undefined; item = stack.pop()) {
    const [t, depth] = item;
    deepest = Math.max(deepest, depth);
    const inner =
      t.kind === 'list'
        ? [t.element]
        : t.kind === 'record'
          ? t.fields.map((f) => f.type)
          : t.kind === 'variant'
            ? t.cases.flatMap((c) => (c.type ? [c.type] : []))
            : t.kind === 'tuple'
              ? t.types
              : t.kind === 'option'
                ? [t.type]
                : t.kind === 'result'
                  ? [t.ok, t.err].filter((x) => x !== undefined)
                  : [];
    for (const part of inner) stack.push([part, depth + 1]);
  }
  return deepest;
}

/**
 * Refuses a function whose types nest deeper than the decoder accepts: every walk over a type (schema,
 * conversions both ways, WIT text) recurses once per level, and the limit keeps that far from the
 * stack's end for types that did not come from the decoder.
 */
function checkDepth(fn: ExportedFunction): void {
  for (const type of [...fn.params.map((p) => p.type), ...(fn.result ? [fn.result] : [])]) {
    if (typeDepth(type) > MAX_NESTING) {
      throw new RuntimeError(
        'invalid-component',
        `function '${fn.name}' has a type that nests more than ${MAX_NESTING} levels deep (wasmactor's limit on nesting)`,
      );
    }
  }
}

/**
 * One tool per exported function. Should two functions map to the same name (e.g. interface `acc`
 * function `new` and the constructor of a world-level resource `acc`), the later one gets the name
 * cut to 119 characters plus `_` and 8 hex digits of the sha256 of `interface#function`.
 */
export function toolDefinitions(types: ComponentTypes): ToolDefinition[] {
  const taken = new Set<string>();
  const unreachable = unreachableReasons(types.functions);
  return types.functions.map((fn) => {
    checkDepth(fn);
    let name = toolName(fn);
    if (taken.has(name)) {
      const qualified = `${fn.interface ?? ''}#${fn.name}`;
      name = limitToolName(`${name.slice(0, 119)}_${shortHash(qualified)}`);
    }
    taken.add(name);
    return {
      name,
      description: [toolDescription(fn), unreachable.get(fn)].filter((l) => l !== undefined).join('\n'),
      inputSchema: inputSchema(fn),
      outputSchema: outputSchema(fn),
      function: fn,
    };
  });
}
