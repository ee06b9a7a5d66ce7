/** JSON Schemas of the built-in tools' arguments, and the shape of their answers. */
import type { CallToolResult, fromJsonSchema } from '@modelcontextprotocol/server';
import type { Json } from '../../runtime/index.ts';
import { lazySchema } from '../lazySchema.ts';

/** What `fromJsonSchema` takes. */
export type Schema = Parameters<typeof fromJsonSchema>[0];

const shared = new Map<string, unknown>();

/**
 * The SDK's `fromJsonSchema(schema)` with its validator compiled on the first call that needs it, made
 * once per distinct schema: the SDK compiles a validator per schema object, and a 2026-07-28 request
 * over HTTP builds a fresh McpServer with every built-in tool (5.7 ms of compiling per request before;
 * the built-in tools' schemas are a small fixed set). Compiling on first use keeps it out of start-up:
 * a tools/list needs only the JSON Schema (issue 15: ~40 ms of the server's start-up went to compiling
 * validators of tools that had not been called).
 */
export function sharedSchema<T>(schema: Schema): ReturnType<typeof fromJsonSchema<T>> {
  const key = JSON.stringify(schema);
  let made = shared.get(key);
  if (made === undefined) {
    made = lazySchema(schema);
    shared.set(key, made);
  }
  return made as unknown as ReturnType<typeof fromJsonSchema<T>>;
}

/** The `component_id` argument. */
export const componentIdSchema = {
  type: 'string',
  description: 'Id of a loaded component (see list-components)',
};

/** An object schema with exactly these properties. */
export function object(properties: Record<string, unknown>, required: string[]): Schema {
  return { type: 'object', properties, required, additionalProperties: false } as Schema;
}

/** `{component_id}`: the arguments of the tools about one component. */
export const componentOnly = (): Schema => object({ component_id: componentIdSchema }, ['component_id']);

/** The `details` argument of each kind of permission tool. */
export const permissionDetails = {
  storage: {
    type: 'object',
    properties: {
      uri: { type: 'string', description: 'Directory as a URI, for example fs:///home/me/data' },
      access: { type: 'array', items: { type: 'string', enum: ['read', 'write'] }, minItems: 1 },
    },
    required: ['uri', 'access'],
    additionalProperties: false,
  },
  network: {
    type: 'object',
    properties: { host: { type: 'string', description: 'Host name (api.example.com) or host:port' } },
    required: ['host'],
    additionalProperties: false,
  },
  environment: {
    type: 'object',
    properties: { key: { type: 'string', description: 'Name of the environment variable' } },
    required: ['key'],
    additionalProperties: false,
  },
};

/** A JSON answer: the value as text, and as `structuredContent` when it is an object. */
export function answer(value: Json): CallToolResult {
  const result: CallToolResult = { content: [{ type: 'text', text: JSON.stringify(value, null, 2) }] };
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) result.structuredContent = value;
  return result;
}
