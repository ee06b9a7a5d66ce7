/**
 * Standard Schema objects as the SDK takes them (a JSON Schema beside a validator), with the validator
 * compiled on the first call that needs it: a tools/list needs only the JSON Schema, and compiling every
 * validator at registration cost start-up and restarts (issue 15). Used by the built-in tools
 * (tools/schemas.ts) and the component tools (server/componentSchemas.ts).
 */
import { fromJsonSchema, type StandardSchemaWithJSON } from '@modelcontextprotocol/server';
import type { JsonObject } from '../runtime/index.ts';

/** What `fromJsonSchema` takes. */
export type SchemaArg = Parameters<typeof fromJsonSchema>[0];

/** What a validator answers. */
export type ValidationResult = { value: JsonObject } | { issues: { message: string }[] };

/** A Standard Schema object listing `schema` and checking data with `validate`. */
export function standardSchema(
  schema: SchemaArg,
  validate: (data: unknown) => ValidationResult,
): StandardSchemaWithJSON<JsonObject> {
  return {
    '~standard': {
      version: 1,
      vendor: 'wasmactor',
      jsonSchema: {
        input: () => schema as Record<string, unknown>,
        output: () => schema as Record<string, unknown>,
      },
      validate,
    },
  } as StandardSchemaWithJSON<JsonObject>;
}

/** A schema whose validator is compiled on its first use, then kept. */
export function lazySchema(schema: SchemaArg): StandardSchemaWithJSON<JsonObject> {
  let compiled: ReturnType<typeof fromJsonSchema<JsonObject>> | undefined;
  return standardSchema(schema, (data) => {
    compiled ??= fromJsonSchema<JsonObject>(schema);
    return compiled['~standard'].validate(data) as ValidationResult;
  });
}
