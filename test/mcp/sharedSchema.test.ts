/**
 * The built-in tools' schemas are compiled on first use (start-up, issue 15), and still validate: a
 * tools/list sees the JSON Schema as written, and a call's arguments are checked against it.
 */
import { describe, expect, it } from 'vitest';
import { componentIdSchema, object, sharedSchema } from '../../src/mcp/tools/schemas.ts';

const schema = object({ component_id: componentIdSchema, n: { type: 'integer', minimum: 1 } }, [
  'component_id',
]);

describe('sharedSchema', () => {
  it('lists the JSON Schema as it is given', () => {
    const made = sharedSchema(schema)['~standard'];
    expect(made.jsonSchema.input({ target: 'draft-2020-12' })).toEqual(schema);
    expect(made.jsonSchema.output({ target: 'draft-2020-12' })).toEqual(schema);
  });

  it('accepts what the schema allows and refuses the rest, with the validator’s message', async () => {
    const { validate } = sharedSchema(schema)['~standard'];
    expect(await validate({ component_id: 'a', n: 2 })).toEqual({ value: { component_id: 'a', n: 2 } });
    const issues = async (value: unknown) =>
      ((await validate(value)) as { issues?: { message: string }[] }).issues?.map((i) => i.message);
    expect(await issues({})).toEqual([expect.stringMatching(/component_id/)]);
    expect(await issues({ component_id: 'a', n: 0 })).toEqual([expect.stringMatching(/>= 1/)]);
    expect(await issues({ component_id: 'a', extra: true })).toEqual([expect.stringMatching(/additional/)]);
  });

  it('is one object per distinct schema (an HTTP request builds every tool again)', () => {
    expect(sharedSchema(object({}, []))).toBe(sharedSchema(object({}, [])));
    expect(sharedSchema(object({}, []))).not.toBe(sharedSchema(schema));
  });
});
