/**
 * The schemas of a component tool as the SDK takes them (Standard Schema objects with their JSON Schema).
 *
 * Arguments are validated once, by the runtime: it converts them to guest values anyway and checks what
 * a JSON Schema cannot (a lone surrogate, a u64 beyond 2^53 as a string, a resource handle), with one
 * message per problem that names the argument, its type and the value, the same whether the call comes
 * over MCP, from `wasmactor call` or from `check`. So the input schema is listed as it is and its
 * validation only checks what the runtime never sees: that the arguments are an object and that
 * `_instance` (taken out before the runtime) is a string. The output schema's validator is compiled on
 * the first result that needs it, not when the tool is registered (a restart registers every tool of
 * every component at once).
 */
import type { StandardSchemaWithJSON } from '@modelcontextprotocol/server';
import type { JsonObject } from '../../runtime/index.ts';
import { type SchemaArg, standardSchema } from '../lazySchema.ts';

/** The input schema of a component tool: listed as given; the runtime validates the arguments. */
export function componentInputSchema(
  schema: SchemaArg,
  instanceArg: string,
): StandardSchemaWithJSON<JsonObject> {
  return standardSchema(schema, (data) => {
    if (typeof data !== 'object' || data === null || Array.isArray(data)) {
      return { issues: [{ message: 'data must be object' }] };
    }
    const instance = (data as Record<string, unknown>)[instanceArg];
    if (instance !== undefined && typeof instance !== 'string') {
      return { issues: [{ message: `data/${instanceArg} must be string` }] };
    }
    return { value: data as JsonObject };
  });
}
