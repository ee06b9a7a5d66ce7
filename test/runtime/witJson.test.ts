import { describe, expect, it } from 'vitest';
import { RuntimeError } from '../../src/runtime/RuntimeError.ts';
import type { ExportedFunction, Json, WitType } from '../../src/runtime/types.ts';
import { F32_MAX, fromGuest, schemaOf, toGuest } from '../../src/runtime/wit/rules.ts';
import {
  argsToGuest,
  errorPayloadToJson,
  type HandleTable,
  inputSchema,
  outputSchema,
  resultToJson,
  toolDefinitions,
} from '../../src/runtime/wit/toolDefinitions.ts';

/** A fake handle table: handle n <-> guest object {res, n}. */
class FakeHandles implements HandleTable {
  readonly objects = new Map<number, { res: string; n: number }>();
  toGuest(resource: string, handle: number): unknown {
    const object = this.objects.get(handle);
    if (!object || object.res !== resource) throw new Error(`no "${resource}" resource has handle ${handle}`);
    return object;
  }
  fromGuest(resource: string, value: unknown): number {
    const object = value as { res: string; n: number };
    if (object.res !== resource) throw new Error('wrong resource');
    this.objects.set(object.n, object);
    return object.n;
  }
}
const handles = new FakeHandles();

const T = <K extends WitType['kind']>(kind: K) => ({ kind }) as WitType;
const point: WitType = {
  kind: 'record',
  name: 'point',
  fields: [
    { name: 'x', type: T('s32') },
    { name: 'y', type: T('s32') },
    { name: 'label-text', type: T('string') },
  ],
};
const shape: WitType = {
  kind: 'variant',
  name: 'shape',
  cases: [{ name: 'circle', type: T('f64') }, { name: 'rect', type: point }, { name: 'empty' }],
};
const color: WitType = { kind: 'enum', name: 'color', cases: ['red', 'green', 'light-blue'] };
const perms: WitType = { kind: 'flags', name: 'perms', flags: ['read', 'write', 'exec-all'] };
const bytes: WitType = { kind: 'list', element: T('u8') };
const opt = (type: WitType): WitType => ({ kind: 'option', type });

/** JSON -> guest for a value at argument `v`. */
const guest = (type: WitType, json: unknown) => toGuest(type, json, 'v', handles);
/** guest -> JSON */
const json = (type: WitType, value: unknown) => fromGuest(type, value, handles);
/** The message of the invalid-argument error that `json` raises. */
function rejection(type: WitType, value: unknown): string {
  try {
    guest(type, value);
  } catch (error) {
    expect(error).toBeInstanceOf(RuntimeError);
    expect((error as RuntimeError).code).toBe('invalid-argument');
    return (error as Error).message;
  }
  throw new Error(`accepted ${JSON.stringify(value)}`);
}

describe('bool', () => {
  it('is a JSON boolean both ways', () => {
    expect(schemaOf(T('bool'))).toEqual({ type: 'boolean' });
    expect(guest(T('bool'), true)).toBe(true);
    expect(json(T('bool'), false)).toBe(false);
  });
  it('rejects anything else', () => {
    expect(rejection(T('bool'), 1)).toBe('argument "v": expected true or false, got 1');
  });
});

describe('integers', () => {
  it('have exact bounds in the schema', () => {
    expect(schemaOf(T('s8'))).toEqual({ type: 'integer', minimum: -128, maximum: 127 });
    expect(schemaOf(T('u32'))).toEqual({ type: 'integer', minimum: 0, maximum: 4294967295 });
  });
  it.each([
    ['s8', -128, 127],
    ['u8', 0, 255],
    ['s16', -32768, 32767],
    ['u16', 0, 65535],
    ['s32', -2147483648, 2147483647],
    ['u32', 0, 4294967295],
  ] as const)('%s accepts its bounds and rejects one beyond', (kind, min, max) => {
    expect(guest(T(kind), min)).toBe(min);
    expect(guest(T(kind), max)).toBe(max);
    expect(json(T(kind), max)).toBe(max);
    expect(rejection(T(kind), max + 1)).toBe(
      `argument "v": expected an integer from ${min} to ${max} (${kind}), got ${max + 1}`,
    );
    expect(rejection(T(kind), min - 1)).toContain(`got ${min - 1}`);
  });
  it('rejects fractions and strings for small integers', () => {
    expect(rejection(T('u8'), 1.5)).toBe('argument "v": expected an integer from 0 to 255 (u8), got 1.5');
    expect(rejection(T('u8'), '1')).toBe('argument "v": expected an integer from 0 to 255 (u8), got "1"');
  });
  it('s64/u64 accept integers and decimal strings and give BigInts to the guest', () => {
    expect(guest(T('s64'), -5)).toBe(-5n);
    expect(guest(T('s64'), '-9223372036854775808')).toBe(-(2n ** 63n));
    expect(guest(T('u64'), '18446744073709551615')).toBe(2n ** 64n - 1n);
    expect(guest(T('u64'), '12')).toBe(12n);
  });
  it('s64/u64 come back as numbers when safe, else as decimal strings', () => {
    expect(json(T('s64'), -5n)).toBe(-5);
    expect(json(T('s64'), 2n ** 53n - 1n)).toBe(9007199254740991);
    expect(json(T('s64'), 2n ** 53n)).toBe('9007199254740992');
    expect(json(T('u64'), 2n ** 64n - 1n)).toBe('18446744073709551615');
  });
  it('s64/u64 reject out-of-range, fractions, malformed strings and inexact numbers', () => {
    expect(rejection(T('u64'), '18446744073709551616')).toBe(
      'argument "v": expected an integer from 0 to 18446744073709551615 (u64) or a decimal string, got "18446744073709551616"',
    );
    expect(rejection(T('u64'), -1)).toContain('got -1');
    expect(rejection(T('s64'), '9223372036854775808')).toContain('(s64)');
    expect(rejection(T('s64'), 1.5)).toContain('got 1.5');
    expect(rejection(T('s64'), '1e3')).toContain('got "1e3"');
    expect(rejection(T('s64'), '+1')).toContain('got "+1"');
    expect(rejection(T('s64'), '007')).toContain('got "007"');
    expect(rejection(T('s64'), 2 ** 60)).toBe(
      'argument "v": 1152921504606847000 is beyond 2^53 and cannot be exact as a JSON number: pass it as a decimal string',
    );
  });
  it('s64/u64 schemas say the same', () => {
    expect(schemaOf(T('u64'))).toMatchObject({
      anyOf: [{ type: 'integer' }, { type: 'string', pattern: '^(?:0|[1-9][0-9]*)$' }],
    });
    expect(schemaOf(T('s64'))).toMatchObject({
      anyOf: [{ type: 'integer' }, { type: 'string', pattern: '^(?:0|-?[1-9][0-9]*)$' }],
    });
  });
});

describe('floats', () => {
  it('are numbers, with NaN and the infinities as strings both ways', () => {
    expect(guest(T('f64'), 0.1)).toBe(0.1);
    expect(guest(T('f64'), 'NaN')).toBeNaN();
    expect(guest(T('f32'), '-Infinity')).toBe(Number.NEGATIVE_INFINITY);
    expect(json(T('f64'), Number.NaN)).toBe('NaN');
    expect(json(T('f32'), Number.POSITIVE_INFINITY)).toBe('Infinity');
    expect(json(T('f32'), 0.10000000149011612)).toBe(0.10000000149011612);
  });
  it('reject other strings, and f32 beyond its range', () => {
    expect(rejection(T('f64'), 'nan')).toBe(
      'argument "v": expected a number (f64) or one of "NaN", "Infinity", "-Infinity", got "nan"',
    );
    expect(guest(T('f32'), F32_MAX)).toBe(F32_MAX);
    expect(rejection(T('f32'), 1e39)).toBe(
      `argument "v": expected a number within the f32 range ±${F32_MAX}, got 1e+39`,
    );
    expect(guest(T('f64'), 1e300)).toBe(1e300);
  });
  it('schemas allow the same', () => {
    expect(schemaOf(T('f32'))).toMatchObject({
      anyOf: [
        { type: 'number', minimum: -F32_MAX, maximum: F32_MAX },
        { type: 'string', enum: ['NaN', 'Infinity', '-Infinity'] },
      ],
    });
  });
});

describe('char and string', () => {
  it('char is exactly one code point', () => {
    expect(guest(T('char'), 'a')).toBe('a');
    expect(guest(T('char'), '😀')).toBe('😀');
    expect(json(T('char'), '😀')).toBe('😀');
    expect(schemaOf(T('char'))).toMatchObject({ type: 'string', minLength: 1, maxLength: 1 });
    expect(rejection(T('char'), 'ab')).toBe(
      'argument "v": expected a string of exactly one Unicode character, got "ab"',
    );
    expect(rejection(T('char'), '')).toContain('got ""');
    expect(rejection(T('char'), 'é́')).toContain('exactly one');
    expect(rejection(T('char'), '\ud800')).toBe(
      'argument "v": expected a string of exactly one Unicode character, got a lone surrogate (U+D800)',
    );
  });
  it('strings pass through; lone surrogates are refused (jco would turn them into U+FFFD)', () => {
    expect(guest(T('string'), 'héllo 😀')).toBe('héllo 😀');
    expect(rejection(T('string'), 42)).toBe('argument "v": expected a string, got 42');
    expect(rejection(T('string'), 'ab\udc00c')).toBe(
      'argument "v": expected a string of valid Unicode, got a lone surrogate at character 2',
    );
  });
});

describe('lists', () => {
  const strings: WitType = { kind: 'list', element: T('string') };
  it('are arrays; elements are checked with their index in the path', () => {
    expect(schemaOf(strings)).toEqual({ type: 'array', items: { type: 'string' } });
    expect(guest(strings, ['a', 'b'])).toEqual(['a', 'b']);
    expect(rejection(strings, ['a', 1])).toBe('argument "v[1]": expected a string, got 1');
    expect(rejection(strings, 'a')).toBe('argument "v": expected an array, got "a"');
  });
  it('numeric lists become the typed arrays jco uses', () => {
    expect(guest(bytes, [1, 255])).toEqual(new Uint8Array([1, 255]));
    expect(guest({ kind: 'list', element: T('s64') }, [1, '-9223372036854775808'])).toEqual(
      new BigInt64Array([1n, -(2n ** 63n)]),
    );
    expect(guest({ kind: 'list', element: T('f32') }, [0.5, 'NaN'])).toBeInstanceOf(Float32Array);
    expect(guest({ kind: 'list', element: T('u16') }, [65535])).toEqual(new Uint16Array([65535]));
    expect(json({ kind: 'list', element: T('u64') }, new BigUint64Array([1n, 2n ** 64n - 1n]))).toEqual([
      1,
      '18446744073709551615',
    ]);
  });
  it('list<u8> also accepts base64 and comes back as an array of bytes', () => {
    expect(guest(bytes, 'AAH/')).toEqual(new Uint8Array([0, 1, 255]));
    expect(guest(bytes, '')).toEqual(new Uint8Array([]));
    expect(json(bytes, new Uint8Array([0, 1, 255]))).toEqual([0, 1, 255]);
    expect(schemaOf(bytes)).toMatchObject({
      anyOf: [{ type: 'array' }, { type: 'string', contentEncoding: 'base64' }],
    });
    expect(rejection(bytes, 'AAH')).toBe(
      'argument "v": expected an array of bytes or a base64 string, got a string that is not base64',
    );
    expect(rejection(bytes, [256])).toBe('argument "v[0]": expected an integer from 0 to 255 (u8), got 256');
    expect(rejection(bytes, 5)).toBe(
      'argument "v": expected an array of bytes (integers 0..255) or a base64 string, got 5',
    );
  });
});

describe('records', () => {
  it('use kebab-case keys in JSON and camelCase for jco', () => {
    expect(schemaOf(point)).toEqual({
      type: 'object',
      title: 'point',
      properties: {
        x: { type: 'integer', minimum: -2147483648, maximum: 2147483647 },
        y: expect.any(Object),
        'label-text': { type: 'string' },
      },
      required: ['x', 'y', 'label-text'],
      additionalProperties: false,
    });
    expect(guest(point, { x: 1, y: 2, 'label-text': 'a' })).toEqual({ x: 1, y: 2, labelText: 'a' });
    expect(json(point, { x: 1, y: 2, labelText: 'a' })).toEqual({ x: 1, y: 2, 'label-text': 'a' });
  });
  it('require every field and refuse unknown ones', () => {
    expect(rejection(point, { x: 1, y: 2, 'label-text': 42 })).toBe(
      'argument "v.label-text": expected a string, got 42',
    );
    expect(rejection(point, { x: 1, y: 2 })).toBe(
      'argument "v.label-text": missing field (every field of point is required)',
    );
    expect(rejection(point, { x: 1, y: 2, labelText: 'a' })).toBe(
      'argument "v": unknown field "labelText" (expected fields "x", "y", "label-text")',
    );
    expect(rejection(point, [1, 2])).toBe(
      'argument "v": expected an object with fields "x", "y", "label-text", got an array of 2',
    );
  });
});

describe('tuples', () => {
  const tuple: WitType = { kind: 'tuple', types: [T('u32'), T('string'), T('bool')] };
  it('are fixed-length arrays', () => {
    expect(schemaOf(tuple)).toMatchObject({ type: 'array', items: false, minItems: 3, maxItems: 3 });
    expect((schemaOf(tuple).prefixItems as unknown[]).length).toBe(3);
    expect(guest(tuple, [1, 'a', true])).toEqual([1, 'a', true]);
    expect(json(tuple, [1, 'a', true])).toEqual([1, 'a', true]);
  });
  it('check their length and each item', () => {
    expect(rejection(tuple, [1, 'a'])).toBe(
      'argument "v": expected an array of 3 items (tuple<u32, string, bool>), got an array of 2',
    );
    expect(rejection(tuple, [1, 'a', 'yes'])).toBe('argument "v[2]": expected true or false, got "yes"');
  });
});

describe('enums', () => {
  it('are strings with the WIT case names', () => {
    expect(schemaOf(color)).toEqual({ type: 'string', title: 'color', enum: ['red', 'green', 'light-blue'] });
    expect(guest(color, 'light-blue')).toBe('light-blue');
    expect(json(color, 'light-blue')).toBe('light-blue');
    expect(rejection(color, 'lightBlue')).toBe(
      'argument "v": expected one of "red", "green", "light-blue", got "lightBlue"',
    );
  });
});

describe('flags', () => {
  it('are objects of booleans; missing flags are false; output lists every flag', () => {
    expect(schemaOf(perms)).toMatchObject({
      type: 'object',
      properties: { read: { type: 'boolean' }, write: { type: 'boolean' }, 'exec-all': { type: 'boolean' } },
      additionalProperties: false,
    });
    expect(guest(perms, { 'exec-all': true })).toEqual({ read: false, write: false, execAll: true });
    expect(json(perms, { read: true, write: false, execAll: true })).toEqual({
      read: true,
      write: false,
      'exec-all': true,
    });
  });
  it('refuse unknown flags and non-boolean values', () => {
    expect(rejection(perms, { execAll: true })).toBe(
      'argument "v": unknown flag "execAll" (expected flags "read", "write", "exec-all")',
    );
    expect(rejection(perms, { read: 1 })).toBe('argument "v.read": expected true or false, got 1');
    expect(rejection(perms, ['read'])).toContain('expected an object of booleans');
  });
});

describe('variants', () => {
  it('are {tag, val} with val only for cases that have a payload', () => {
    const schema = schemaOf(shape);
    expect(schema.oneOf).toEqual([
      {
        type: 'object',
        properties: { tag: { const: 'circle' }, val: expect.any(Object) },
        required: ['tag', 'val'],
        additionalProperties: false,
      },
      expect.any(Object),
      {
        type: 'object',
        properties: { tag: { const: 'empty' } },
        required: ['tag'],
        additionalProperties: false,
      },
    ]);
    expect(guest(shape, { tag: 'rect', val: { x: 1, y: 2, 'label-text': 'r' } })).toEqual({
      tag: 'rect',
      val: { x: 1, y: 2, labelText: 'r' },
    });
    expect(guest(shape, { tag: 'empty' })).toEqual({ tag: 'empty' });
    expect(json(shape, { tag: 'empty' })).toEqual({ tag: 'empty' });
    expect(json(shape, { tag: 'circle', val: Number.NaN })).toEqual({ tag: 'circle', val: 'NaN' });
  });
  it('check the tag, the payload and unknown keys', () => {
    expect(rejection(shape, { tag: 'square' })).toBe(
      'argument "v.tag": expected one of "circle", "rect", "empty", got "square"',
    );
    expect(rejection(shape, { tag: 'circle' })).toBe(
      'argument "v": case "circle" needs a payload in "val" (f64)',
    );
    expect(rejection(shape, { tag: 'empty', val: null })).toBe(
      'argument "v": case "empty" has no payload: remove "val"',
    );
    expect(rejection(shape, { tag: 'circle', val: 1, extra: 1 })).toBe(
      'argument "v": unknown key "extra" (a variant has only "tag" and "val")',
    );
    expect(rejection(shape, { tag: 'rect', val: { x: 1, y: 2, 'label-text': 3 } })).toBe(
      'argument "v.val.label-text": expected a string, got 3',
    );
    expect(rejection(shape, 'circle')).toContain('expected an object {"tag"');
  });
});

describe('options', () => {
  it('option<T> is null or the value; jco gets undefined or the value', () => {
    const o = opt(T('u32'));
    expect(schemaOf(o)).toEqual({
      anyOf: [{ type: 'null' }, { type: 'integer', minimum: 0, maximum: 4294967295 }],
    });
    expect(guest(o, null)).toBeUndefined();
    expect(guest(o, 5)).toBe(5);
    expect(json(o, undefined)).toBeNull();
    expect(json(o, 0)).toBe(0);
    expect(rejection(o, 'x')).toContain('argument "v": expected an integer');
  });
  it('option<option<T>> wraps the inner some as {"some": x}; jco tags the outer option', () => {
    const o = opt(opt(T('string')));
    expect(schemaOf(o)).toEqual({
      anyOf: [
        { type: 'null' },
        {
          type: 'object',
          properties: { some: { anyOf: [{ type: 'null' }, { type: 'string' }] } },
          required: ['some'],
          additionalProperties: false,
        },
      ],
    });
    expect(guest(o, null)).toEqual({ tag: 'none' });
    expect(guest(o, { some: null })).toEqual({ tag: 'some', val: undefined });
    expect(guest(o, { some: 'x' })).toEqual({ tag: 'some', val: 'x' });
    expect(json(o, { tag: 'none' })).toBeNull();
    expect(json(o, { tag: 'some', val: undefined })).toEqual({ some: null });
    expect(json(o, { tag: 'some', val: 'x' })).toEqual({ some: 'x' });
    expect(rejection(o, 'x')).toBe(
      'argument "v": expected null or {"some": value} (option<option<string>>), got "x"',
    );
    expect(rejection(o, { some: 1 })).toBe('argument "v.some": expected a string, got 1');
  });
  it('option<option<option<T>>> follows jco: outer undefined, middle tagged, inner undefined', () => {
    const o = opt(opt(opt(T('u8'))));
    const cases: [Json, unknown][] = [
      [null, undefined],
      [{ some: null }, { tag: 'none' }],
      [{ some: { some: null } }, { tag: 'some', val: undefined }],
      [{ some: { some: 3 } }, { tag: 'some', val: 3 }],
    ];
    for (const [j, g] of cases) {
      expect(guest(o, j)).toEqual(g);
      expect(json(o, g)).toEqual(j);
    }
  });
});

describe('results inside values', () => {
  const r: WitType = { kind: 'result', ok: T('u32'), err: T('string') };
  const empty: WitType = { kind: 'result' };
  it('are {ok} or {err}; a missing payload type is null', () => {
    expect(schemaOf(empty)).toEqual({
      oneOf: [
        {
          type: 'object',
          properties: { ok: { type: 'null' } },
          required: ['ok'],
          additionalProperties: false,
        },
        {
          type: 'object',
          properties: { err: { type: 'null' } },
          required: ['err'],
          additionalProperties: false,
        },
      ],
    });
    expect(guest(r, { ok: 1 })).toEqual({ tag: 'ok', val: 1 });
    expect(guest(r, { err: 'e' })).toEqual({ tag: 'err', val: 'e' });
    expect(guest(empty, { err: null })).toEqual({ tag: 'err', val: undefined });
    expect(json(r, { tag: 'err', val: 'e' })).toEqual({ err: 'e' });
    expect(json(empty, { tag: 'ok', val: undefined })).toEqual({ ok: null });
  });
  it('refuse other shapes', () => {
    expect(rejection(r, { ok: 1, err: 'e' })).toBe(
      'argument "v": expected {"ok": value} or {"err": value} (result<u32, string>), got {"ok":1,"err":"e"}',
    );
    expect(rejection(r, { tag: 'ok', val: 1 })).toContain('expected {"ok": value} or {"err": value}');
    expect(rejection(r, { ok: -1 })).toBe(
      'argument "v.ok": expected an integer from 0 to 4294967295 (u32), got -1',
    );
    expect(rejection(empty, { ok: 1 })).toBe(
      'argument "v.ok": expected null (this ok has no payload), got 1',
    );
  });
});

describe('resources', () => {
  const own: WitType = { kind: 'own', resource: 'accumulator' };
  const borrow: WitType = { kind: 'borrow', resource: 'accumulator' };
  it('are integer handles mapped through the HandleTable', () => {
    expect(schemaOf(borrow)).toMatchObject({ type: 'integer', minimum: 1 });
    expect(schemaOf(borrow).description).toContain('handle of a "accumulator" resource');
    expect(schemaOf(borrow).description).toContain('same stateful instance');
    const object = { res: 'accumulator', n: 7 };
    expect(json(own, object)).toBe(7);
    expect(guest(borrow, 7)).toBe(object);
  });
  it('refuse non-handles and unknown handles with the table message', () => {
    expect(rejection(borrow, 0)).toBe(
      'argument "v": expected a handle of resource "accumulator" (an integer from 1), got 0',
    );
    expect(rejection(borrow, 99)).toBe('argument "v": no "accumulator" resource has handle 99');
  });
});

const echo = (type: WitType): ExportedFunction => ({
  name: 'echo',
  params: [{ name: 'v', type }],
  result: type,
});

describe('functions', () => {
  const fn: ExportedFunction = {
    interface: 'local:kitchen/types',
    name: 'echo-result',
    params: [
      { name: 'v', type: T('string') },
      { name: 'fail', type: T('bool') },
    ],
    result: { kind: 'result', ok: T('string'), err: T('string') },
  };
  it('input schema: one required property per parameter, nothing else', () => {
    expect(inputSchema(fn)).toEqual({
      type: 'object',
      properties: { v: { type: 'string' }, fail: { type: 'boolean' } },
      required: ['v', 'fail'],
      additionalProperties: false,
    });
  });
  it('output schema: {result}; null when the function returns nothing', () => {
    expect(outputSchema(fn)).toMatchObject({
      type: 'object',
      required: ['result'],
      properties: { result: { oneOf: expect.any(Array) } },
    });
    expect(outputSchema({ name: 'nothing', params: [] }).properties).toEqual({ result: { type: 'null' } });
    expect(resultToJson({ name: 'nothing', params: [] }, undefined, handles)).toBeNull();
  });
  it('arguments come out in parameter order', () => {
    expect(argsToGuest(fn, { fail: true, v: 'x' }, handles)).toEqual(['x', true]);
  });
  it('missing, unknown and non-object arguments are named', () => {
    const message = (args: unknown) => {
      try {
        argsToGuest(fn, args as never, handles);
      } catch (error) {
        expect((error as RuntimeError).code).toBe('invalid-argument');
        return (error as Error).message;
      }
      throw new Error('accepted');
    };
    expect(message({ v: 'x' })).toBe('missing argument "fail" (bool): echo-result takes "v", "fail"');
    expect(message({ v: 'x', fail: false, force: true })).toBe(
      'unknown argument "force": echo-result takes "v", "fail"',
    );
    expect(message([])).toBe('arguments must be an object, got an array of 0');
    expect(message({ v: 1, fail: false })).toBe('argument "v": expected a string, got 1');
  });
  it('a top-level result: ok is {"ok": value}, a thrown payload is {"err": value}', () => {
    expect(resultToJson(fn, 'fine', handles)).toEqual({ ok: 'fine' });
    expect(errorPayloadToJson(fn, 'bad', handles)).toEqual({ err: 'bad' });
    const empty: ExportedFunction = { name: 'e', params: [], result: { kind: 'result' } };
    expect(resultToJson(empty, undefined, handles)).toEqual({ ok: null });
    expect(errorPayloadToJson(empty, undefined, handles)).toEqual({ err: null });
    expect(() => errorPayloadToJson(echo(T('u8')), 'x', handles)).toThrow(RuntimeError);
  });
  it('a returned own handle goes through the HandleTable', () => {
    const ctor: ExportedFunction = {
      interface: 'local:kitchen/types',
      name: '[constructor]accumulator',
      params: [{ name: 'start', type: T('s64') }],
      result: { kind: 'own', resource: 'accumulator' },
    };
    expect(argsToGuest(ctor, { start: '5' }, handles)).toEqual([5n]);
    expect(resultToJson(ctor, { res: 'accumulator', n: 3 }, handles)).toBe(3);
  });
});

describe('toolDefinitions', () => {
  it('makes one tool per function with name, description and schemas', () => {
    const fns: ExportedFunction[] = [
      { name: 'echo-u8', params: [{ name: 'v', type: T('u8') }], result: T('u8'), docs: 'Echoes a byte.' },
      {
        interface: 'local:kitchen/types',
        name: '[method]accumulator.add',
        params: [
          { name: 'self', type: { kind: 'borrow', resource: 'accumulator' } },
          { name: 'n', type: T('s64') },
        ],
        result: T('s64'),
      },
      { name: 'echo-result-empty', params: [{ name: 'fail', type: T('bool') }], result: { kind: 'result' } },
    ];
    const tools = toolDefinitions({ functions: fns, imports: [] });
    expect(tools.map((t) => t.name)).toEqual([
      'echo-u8',
      'local_kitchen_types_accumulator_add',
      'echo-result-empty',
    ]);
    expect(tools[0]?.description).toBe('Echoes a byte.\nWIT: echo-u8: func(v: u8) -> u8.');
    expect(tools[1]?.description).toContain(
      'func(self: borrow<accumulator>, n: s64) -> s64 (interface local:kitchen/types)',
    );
    expect(tools[1]?.description).toContain('Method of resource "accumulator"');
    expect(tools[2]?.description).toContain('{"err": value}');
    expect(tools[1]?.inputSchema).toEqual(inputSchema(fns[1] as ExportedFunction));
    expect(tools[1]?.outputSchema).toEqual(outputSchema(fns[1] as ExportedFunction));
    expect(tools[1]?.function).toBe(fns[1]);
  });
  it('keeps two functions that map to the same name apart', () => {
    const tools = toolDefinitions({
      functions: [
        { name: '[constructor]acc', params: [], result: { kind: 'own', resource: 'acc' } },
        { interface: 'acc', name: 'new', params: [] },
      ],
      imports: [],
    });
    expect(tools[0]?.name).toBe('acc_new');
    expect(tools[1]?.name).toMatch(/^acc_new_[0-9a-f]{8}$/);
  });
});
