/**
 * Properties of the WIT <-> JSON rules, without a guest: every value `arbitraryJsonFor` makes is valid
 * under the generated schema (checked with the MCP SDK's own validator) and accepted by `argsToGuest`,
 * and JSON -> guest -> JSON gives back canonical values unchanged (other input forms come back in
 * canonical form, which is then stable).
 */
import { fromJsonSchema } from '@modelcontextprotocol/server';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ExportedFunction, Json, JsonSchema, WitType } from '../../src/runtime/types.ts';
import { fromGuest, toGuest } from '../../src/runtime/wit/rules.ts';
import { argsToGuest, type HandleTable, inputSchema } from '../../src/runtime/wit/toolDefinitions.ts';
import { witTypeText } from '../../src/runtime/wit/witText.ts';
import { arbitraryJsonFor } from '../helpers/arbitraries.ts';

/** Any handle is a live resource here: guest object {resource, handle}. */
const handles: HandleTable = {
  toGuest: (resource, handle) => ({ resource, handle }),
  fromGuest: (_resource, value) => (value as { handle: number }).handle,
};

const T = (kind: WitType['kind']) => ({ kind }) as WitType;
const point: WitType = {
  kind: 'record',
  name: 'point',
  fields: [
    { name: 'x', type: T('s32') },
    { name: 'y', type: T('s32') },
    { name: 'label-text', type: T('string') },
  ],
};
const CATALOGUE: WitType[] = [
  ...(
    ['bool', 's8', 'u8', 's16', 'u16', 's32', 'u32', 's64', 'u64', 'f32', 'f64', 'char', 'string'] as const
  ).map(T),
  { kind: 'list', element: T('string') },
  { kind: 'list', element: T('u8') },
  { kind: 'list', element: T('s64') },
  { kind: 'list', element: T('f32') },
  point,
  { kind: 'tuple', types: [T('u32'), T('string'), T('bool')] },
  {
    kind: 'variant',
    name: 'shape',
    cases: [{ name: 'circle', type: T('f64') }, { name: 'rect', type: point }, { name: 'empty' }],
  },
  { kind: 'enum', name: 'color', cases: ['red', 'green', 'light-blue'] },
  { kind: 'flags', name: 'perms', flags: ['read', 'write', 'exec-all'] },
  { kind: 'option', type: T('u32') },
  { kind: 'option', type: { kind: 'option', type: T('string') } },
  { kind: 'option', type: { kind: 'option', type: { kind: 'option', type: T('u8') } } },
  { kind: 'result', ok: T('string'), err: T('string') },
  { kind: 'result' },
  { kind: 'list', element: point },
  { kind: 'borrow', resource: 'accumulator' },
];

const kebab = fc.stringMatching(/^[a-z][a-z0-9]{0,4}(-[a-z][a-z0-9]{0,4}){0,2}$/);
const names = (min: number) => fc.uniqueArray(kebab, { minLength: min, maxLength: 4 });

/** Random WIT types, nested a few levels deep. */
const witType: fc.Arbitrary<WitType> = fc.letrec<{ type: WitType }>((tie) => ({
  type: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.constantFrom(
      ...(['bool', 's8', 'u16', 's32', 'u32', 's64', 'u64', 'f32', 'f64', 'char', 'string'] as const).map(T),
    ),
    fc.constantFrom<WitType>({ kind: 'own', resource: 'r' }, { kind: 'borrow', resource: 'r' }),
    names(1).map((cases): WitType => ({ kind: 'enum', cases })),
    names(0).map((flags): WitType => ({ kind: 'flags', flags })),
    tie('type').map((element): WitType => ({ kind: 'list', element })),
    tie('type').map((type): WitType => ({ kind: 'option', type })),
    fc.array(tie('type'), { maxLength: 3 }).map((types): WitType => ({ kind: 'tuple', types })),
    fc
      .tuple(fc.option(tie('type'), { nil: undefined }), fc.option(tie('type'), { nil: undefined }))
      .map(([ok, err]): WitType => ({ kind: 'result', ...(ok ? { ok } : {}), ...(err ? { err } : {}) })),
    names(1).chain((fields) =>
      fc.tuple(...fields.map(() => tie('type'))).map(
        (types): WitType => ({
          kind: 'record',
          fields: fields.map((name, i) => ({ name, type: types[i] as WitType })),
        }),
      ),
    ),
    names(1).chain((cases) =>
      fc.tuple(...cases.map(() => fc.option(tie('type'), { nil: undefined }))).map(
        (types): WitType => ({
          kind: 'variant',
          cases: cases.map((name, i) => (types[i] ? { name, type: types[i] } : { name })),
        }),
      ),
    ),
  ),
})).type;

function schemaValidator(schema: JsonSchema) {
  const standard = fromJsonSchema(schema as never)['~standard'];
  return async (value: Json) => {
    const result = await standard.validate(value);
    return 'issues' in result && result.issues ? JSON.stringify(result.issues) : undefined;
  };
}

const echo = (type: WitType): ExportedFunction => ({ name: 'echo', params: [{ name: 'v', type }] });
const roundTrip = (type: WitType, json: Json) => fromGuest(type, toGuest(type, json, 'v', handles), handles);

describe.each(CATALOGUE.map((type) => [witTypeText(type), type] as const))('%s', (_name, type) => {
  const validate = schemaValidator(inputSchema(echo(type)));

  it('every arbitrary value passes the schema and the validation', async () => {
    await fc.assert(
      fc.asyncProperty(arbitraryJsonFor(type, { alternateForms: true }), async (v) => {
        expect(await validate({ v })).toBeUndefined();
        expect(() => argsToGuest(echo(type), { v }, handles)).not.toThrow();
      }),
      { numRuns: 200 },
    );
  });

  it('canonical values survive JSON -> guest -> JSON unchanged', () => {
    fc.assert(
      fc.property(arbitraryJsonFor(type), (v) => {
        expect(roundTrip(type, v)).toEqual(v);
      }),
      { numRuns: 200 },
    );
  });

  it('other input forms come back canonical and stay so', async () => {
    await fc.assert(
      fc.asyncProperty(arbitraryJsonFor(type, { alternateForms: true }), async (v) => {
        const once = roundTrip(type, v);
        expect(roundTrip(type, once)).toEqual(once);
        expect(await validate({ v: once })).toBeUndefined();
      }),
      { numRuns: 200 },
    );
  });
});

describe('random WIT types', () => {
  it('schema, validation and round trip agree for every value', async () => {
    await fc.assert(
      fc.asyncProperty(
        witType.chain((type) =>
          fc.tuple(fc.constant(type), arbitraryJsonFor(type, { alternateForms: true, maxListLength: 3 })),
        ),
        async ([type, v]) => {
          expect(await schemaValidator(inputSchema(echo(type)))({ v })).toBeUndefined();
          const once = roundTrip(type, v);
          expect(roundTrip(type, once)).toEqual(once);
        },
      ),
      { numRuns: 300 },
    );
  });
});
