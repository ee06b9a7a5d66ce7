/**
 * One rule per WIT type kind: its JSON Schema, JSON -> guest value (validating first), and guest value
 * -> JSON. The schema generator and both converters use only this table, so they cannot disagree.
 *
 * JSON forms (DESIGN.md "WIT <-> JSON"), with the decisions this file makes:
 * - s8..u32: JSON integers with exact bounds.
 * - s64/u64: a JSON integer within ±(2^53-1), or a decimal string (`"-12"`, no `+`, no leading zeros)
 *   for any value of the type. Output is a number when it is a safe integer, else a decimal string.
 *   Numbers beyond 2^53 are refused: JSON parsers have already rounded them.
 * - f32/f64: a JSON number, or one of the strings "NaN", "Infinity", "-Infinity" (JSON cannot carry
 *   them); output uses the same strings. An f32 input must lie within ±3.4028234663852886e38 (it is
 *   rounded to the nearest f32 by the guest, so outputs are f32 values such as 0.10000000149011612).
 * - char: a string of exactly one Unicode code point (a lone surrogate is refused: it traps the guest).
 * - string: any string without lone surrogates (jco would silently replace them with U+FFFD).
 * - list<u8>: an array of bytes, or a standard base64 string (padding required); output is an array.
 * - flags: an object of booleans keyed by flag name; a missing flag is false; output lists every flag.
 * - variant: `{"tag": "<case>", "val": <payload>}`; `val` is present iff the case has a payload.
 * - option<T>: `null` for none. For some(x): the JSON of x, except when T is itself an option: then
 *   `{"some": <JSON of x>}`, so option<option<string>> is `null` | `{"some": null}` | `{"some": "x"}`.
 * - result<T, E>: `{"ok": <T>}` or `{"err": <E>}`; a missing payload type is `null`.
 * - own/borrow: integer handles >= 1 handed out by the instance's HandleTable.
 *
 * Guest values are what jco's generated glue (transpiled with default options) expects and returns,
 * measured on a componentize-js component: s64/u64 are BigInt; numeric lists are typed arrays
 * (Uint8Array, Int8Array, ..., BigInt64Array, Float32Array); record fields and flag names are
 * lowerCamelCase; enum values and variant tags keep their WIT (kebab) names; variant cases without a
 * payload have no `val`; tuples are arrays; result inside values is `{tag: 'ok'|'err', val}`.
 * option<T> is `undefined` | value when T "cannot be null", and `{tag:'none'}` | `{tag:'some', val}`
 * when T is an option that can be null (jco's `as_nullable`: option<T> can be null iff T cannot, so
 * option<option<option<u8>>> is `undefined` | `{tag:'none'}` | `{tag:'some', val: undefined | n}`).
 */
import { RuntimeError } from '../RuntimeError.ts';
import type { Json, JsonSchema, WitKind, WitType } from '../types.ts';
import { BASE64_SCHEMA_PATTERN, isBase64 } from './base64.ts';
import {
  boolRule,
  charRule,
  expected,
  floatRule,
  type HandleTable,
  intRule,
  invalid,
  isPlainObject,
  quoteList,
  type Rule,
  stringRule,
  type TypeOf,
} from './scalarRules.ts';
import { witTypeText } from './witText.ts';

export { describeJson, F32_MAX, type HandleTable, invalid } from './scalarRules.ts';

const TYPED_ARRAYS: Partial<Record<WitKind, { from(values: ArrayLike<number | bigint>): unknown }>> = {
  u8: Uint8Array,
  s8: Int8Array,
  u16: Uint16Array,
  s16: Int16Array,
  u32: Uint32Array,
  s32: Int32Array,
  u64: BigUint64Array as unknown as { from(values: ArrayLike<number | bigint>): unknown },
  s64: BigInt64Array as unknown as { from(values: ArrayLike<number | bigint>): unknown },
  f32: Float32Array,
  f64: Float64Array,
};

/** jco's name for a record field or flag: heck's lowerCamelCase of a WIT kebab-case name. */
export function jsName(witName: string): string {
  return witName
    .split('-')
    .filter((w) => w.length > 0)
    .map((w, i) => (i === 0 ? w.toLowerCase() : w.charAt(0).toUpperCase() + w.slice(1).toLowerCase()))
    .join('');
}

/**
 * jco's `as_nullable`: true when jco represents `type` as `undefined` | value, i.e. an option whose
 * payload is not itself nullable. Other options are `{tag: 'none'}` | `{tag: 'some', val}` in jco.
 */
export function isNullable(type: WitType): boolean {
  return type.kind === 'option' && !isNullable(type.type);
}

/** In JSON every option's none is `null`, so some(x) of an option<option<T>> is wrapped as `{"some": x}`. */
function wrapsSome(type: TypeOf<'option'>): boolean {
  return type.type.kind === 'option';
}
const rules: { [K in WitKind]: Rule<K> } = {
  bool: boolRule,
  s8: intRule,
  u8: intRule,
  s16: intRule,
  u16: intRule,
  s32: intRule,
  u32: intRule,
  s64: intRule,
  u64: intRule,
  f32: floatRule,
  f64: floatRule,
  char: charRule,
  string: stringRule,
  list: {
    schema(type) {
      const array = { type: 'array', items: schemaOf(type.element) };
      if (type.element.kind !== 'u8') return array;
      return {
        anyOf: [array, { type: 'string', contentEncoding: 'base64', pattern: BASE64_SCHEMA_PATTERN }],
        description: 'bytes: an array of integers 0..255, or a base64 string',
      };
    },
    fromJson(type, json, path, handles) {
      if (type.element.kind === 'u8' && typeof json === 'string') {
        if (!isBase64(json))
          throw invalid(
            path,
            `expected an array of bytes or a base64 string, got a string that is not base64`,
          );
        return new Uint8Array(Buffer.from(json, 'base64'));
      }
      if (!Array.isArray(json)) {
        throw expected(
          path,
          type.element.kind === 'u8' ? 'an array of bytes (integers 0..255) or a base64 string' : 'an array',
          json,
        );
      }
      const items = json.map((item, i) => toGuest(type.element, item, `${path}[${i}]`, handles));
      const typed = TYPED_ARRAYS[type.element.kind];
      return typed ? typed.from(items as ArrayLike<number | bigint>) : items;
    },
    toJson(type, value, handles) {
      return Array.from(value as ArrayLike<unknown>, (item) => fromGuest(type.element, item, handles));
    },
  },
  record: {
    schema(type) {
      return {
        type: 'object',
        ...(type.name ? { title: type.name } : {}),
        properties: Object.fromEntries(type.fields.map((f) => [f.name, schemaOf(f.type)])),
        required: type.fields.map((f) => f.name),
        additionalProperties: false,
      };
    },
    fromJson(type, json, path, handles) {
      const names = type.fields.map((f) => f.name);
      if (!isPlainObject(json)) throw expected(path, `an object with fields ${quoteList(names)}`, json);
      for (const key of Object.keys(json)) {
        if (!names.includes(key))
          throw invalid(path, `unknown field ${JSON.stringify(key)} (expected fields ${quoteList(names)})`);
      }
      const out: Record<string, unknown> = {};
      for (const field of type.fields) {
        if (!Object.hasOwn(json, field.name)) {
          throw invalid(
            `${path}.${field.name}`,
            `missing field (every field of ${witTypeText(type)} is required)`,
          );
        }
        out[jsName(field.name)] = toGuest(field.type, json[field.name], `${path}.${field.name}`, handles);
      }
      return out;
    },
    toJson(type, value, handles) {
      const record = value as Record<string, unknown>;
      return Object.fromEntries(
        type.fields.map((f) => [f.name, fromGuest(f.type, record[jsName(f.name)], handles)]),
      );
    },
  },
  tuple: {
    schema(type) {
      const n = type.types.length;
      return { type: 'array', prefixItems: type.types.map(schemaOf), items: false, minItems: n, maxItems: n };
    },
    fromJson(type, json, path, handles) {
      const n = type.types.length;
      if (!Array.isArray(json) || json.length !== n) {
        throw expected(path, `an array of ${n} item${n === 1 ? '' : 's'} (${witTypeText(type)})`, json);
      }
      return type.types.map((t, i) => toGuest(t, json[i], `${path}[${i}]`, handles));
    },
    toJson(type, value, handles) {
      const items = value as unknown[];
      return type.types.map((t, i) => fromGuest(t, items[i], handles));
    },
  },
  enum: {
    schema: (type) => ({ type: 'string', ...(type.name ? { title: type.name } : {}), enum: [...type.cases] }),
    fromJson(type, json, path) {
      if (typeof json !== 'string' || !type.cases.includes(json))
        throw expected(path, `one of ${quoteList(type.cases)}`, json);
      return json;
    },
    toJson: (_type, value) => value as string,
  },
  flags: {
    schema(type) {
      return {
        type: 'object',
        ...(type.name ? { title: type.name } : {}),
        properties: Object.fromEntries(type.flags.map((f) => [f, { type: 'boolean' }])),
        additionalProperties: false,
        description: 'flags: true for each flag that is set; a missing flag is false',
      };
    },
    fromJson(type, json, path) {
      if (!isPlainObject(json))
        throw expected(path, `an object of booleans with keys from ${quoteList(type.flags)}`, json);
      for (const key of Object.keys(json)) {
        if (!type.flags.includes(key))
          throw invalid(
            path,
            `unknown flag ${JSON.stringify(key)} (expected flags ${quoteList(type.flags)})`,
          );
      }
      const out: Record<string, boolean> = {};
      for (const flag of type.flags) {
        const set = json[flag];
        if (set !== undefined && typeof set !== 'boolean')
          throw expected(`${path}.${flag}`, 'true or false', set);
        out[jsName(flag)] = set === true;
      }
      return out;
    },
    toJson(type, value) {
      const flags = value as Record<string, unknown>;
      return Object.fromEntries(type.flags.map((f) => [f, Boolean(flags[jsName(f)])]));
    },
  },
  variant: {
    schema(type) {
      return {
        ...(type.name ? { title: type.name } : {}),
        oneOf: type.cases.map((c) =>
          c.type
            ? {
                type: 'object',
                properties: { tag: { const: c.name }, val: schemaOf(c.type) },
                required: ['tag', 'val'],
                additionalProperties: false,
              }
            : {
                type: 'object',
                properties: { tag: { const: c.name } },
                required: ['tag'],
                additionalProperties: false,
              },
        ),
      };
    },
    fromJson(type, json, path, handles) {
      const tags = type.cases.map((c) => c.name);
      if (!isPlainObject(json))
        throw expected(
          path,
          `an object {"tag": one of ${quoteList(tags)}, "val": payload if the case has one}`,
          json,
        );
      const kase = type.cases.find((c) => c.name === json.tag);
      if (!kase) throw expected(`${path}.tag`, `one of ${quoteList(tags)}`, json.tag);
      for (const key of Object.keys(json)) {
        if (key !== 'tag' && key !== 'val')
          throw invalid(path, `unknown key ${JSON.stringify(key)} (a variant has only "tag" and "val")`);
      }
      const hasVal = Object.hasOwn(json, 'val');
      if (!kase.type) {
        if (hasVal) throw invalid(path, `case "${kase.name}" has no payload: remove "val"`);
        return { tag: kase.name };
      }
      if (!hasVal)
        throw invalid(path, `case "${kase.name}" needs a payload in "val" (${witTypeText(kase.type)})`);
      return { tag: kase.name, val: toGuest(kase.type, json.val, `${path}.val`, handles) };
    },
    toJson(type, value, handles) {
      const { tag, val } = value as { tag: string; val?: unknown };
      const kase = type.cases.find((c) => c.name === tag);
      if (!kase)
        throw new RuntimeError(
          'host-error',
          `the guest returned an unknown case "${tag}" of ${witTypeText(type)}`,
        );
      return kase.type ? ({ tag, val: fromGuest(kase.type, val, handles) } as Json) : { tag };
    },
  },
  option: {
    schema(type) {
      const some = wrapsSome(type)
        ? {
            type: 'object',
            properties: { some: schemaOf(type.type) },
            required: ['some'],
            additionalProperties: false,
          }
        : schemaOf(type.type);
      return { anyOf: [{ type: 'null' }, some] };
    },
    fromJson(type, json, path, handles) {
      const tagged = !isNullable(type);
      if (json === null) return tagged ? { tag: 'none' } : undefined;
      let inner: unknown = json;
      let innerPath = path;
      if (wrapsSome(type)) {
        if (!isPlainObject(json) || !Object.hasOwn(json, 'some') || Object.keys(json).length !== 1) {
          throw expected(path, `null or {"some": value} (${witTypeText(type)})`, json);
        }
        inner = json.some;
        innerPath = `${path}.some`;
      }
      const val = toGuest(type.type, inner, innerPath, handles);
      return tagged ? { tag: 'some', val } : val;
    },
    toJson(type, value, handles) {
      let inner: unknown;
      if (isNullable(type)) {
        if (value === undefined || value === null) return null;
        inner = value;
      } else {
        const tagged = value as { tag: 'none' | 'some'; val?: unknown };
        if (tagged.tag === 'none') return null;
        inner = tagged.val;
      }
      const json = fromGuest(type.type, inner, handles);
      return wrapsSome(type) ? { some: json } : json;
    },
  },
  result: {
    schema(type) {
      const side = (key: 'ok' | 'err', t: WitType | undefined) => ({
        type: 'object',
        properties: { [key]: t ? schemaOf(t) : { type: 'null' } },
        required: [key],
        additionalProperties: false,
      });
      return { oneOf: [side('ok', type.ok), side('err', type.err)] };
    },
    fromJson(type, json, path, handles) {
      if (
        !isPlainObject(json) ||
        Object.keys(json).length !== 1 ||
        !(Object.hasOwn(json, 'ok') || Object.hasOwn(json, 'err'))
      ) {
        throw expected(path, `{"ok": value} or {"err": value} (${witTypeText(type)})`, json);
      }
      const tag = Object.hasOwn(json, 'ok') ? 'ok' : 'err';
      const payload = type[tag];
      if (!payload) {
        if (json[tag] !== null)
          throw expected(`${path}.${tag}`, `null (this ${tag} has no payload)`, json[tag]);
        return { tag, val: undefined };
      }
      return { tag, val: toGuest(payload, json[tag], `${path}.${tag}`, handles) };
    },
    toJson(type, value, handles) {
      const { tag, val } = value as { tag: 'ok' | 'err'; val?: unknown };
      const payload = type[tag];
      return { [tag]: payload ? fromGuest(payload, val, handles) : null } as Json;
    },
  },
  own: handleRule(),
  borrow: handleRule(),
};

function handleRule(): Rule<'own' | 'borrow'> {
  return {
    schema: (type) => ({
      type: 'integer',
      minimum: 1,
      description: `handle of a "${type.resource}" resource; it only makes sense in the same stateful instance that returned it`,
    }),
    fromJson(type, json, path, handles) {
      if (typeof json !== 'number' || !Number.isSafeInteger(json) || json < 1) {
        throw expected(path, `a handle of resource "${type.resource}" (an integer from 1)`, json);
      }
      try {
        // An own<T> argument hands the resource to the guest: the handle is gone after the call.
        if (type.kind === 'own' && handles.move) return handles.move(type.resource, json);
        return handles.toGuest(type.resource, json);
      } catch (error) {
        throw invalid(path, error instanceof Error ? error.message : String(error));
      }
    },
    toJson: (type, value, handles) => handles.fromGuest(type.resource, value),
  };
}

/** The JSON Schema of a WIT type. */
export function schemaOf(type: WitType): JsonSchema {
  return (rules[type.kind] as Rule<WitKind>).schema(type);
}

/** Validates the JSON form of `type` and returns the value jco expects. `path` names it in errors. */
export function toGuest(type: WitType, json: unknown, path: string, handles: HandleTable): unknown {
  return (rules[type.kind] as Rule<WitKind>).fromJson(type, json, path, handles);
}

/** The JSON form of a value of `type` that jco returned. */
export function fromGuest(type: WitType, value: unknown, handles: HandleTable): Json {
  return (rules[type.kind] as Rule<WitKind>).toJson(type, value, handles);
}
