/** The rules of the scalar WIT kinds, and the shared pieces of every rule (see witRules.ts). */
import { RuntimeError } from '../RuntimeError.ts';
import type { Json, JsonSchema, WitIntKind, WitKind, WitType } from '../types.ts';

/** Maps resource values between the guest (jco class instances) and JSON (integer handles). */
export interface HandleTable {
  /** The guest object behind `handle`; throws (with a message for the user) when it is unknown. */
  toGuest(resource: string, handle: number): unknown;
  /** Registers a resource value the guest returned (or finds it again) and gives its handle. */
  fromGuest(resource: string, value: unknown): number;
  /**
   * The guest object behind `handle` for an `own<T>` parameter: the call moves it into the guest, so
   * the table forgets it once the call has entered the guest (see `commitMoves` of the worker's
   * table). Throws like `toGuest`, and when one call gives the same handle twice. Absent: as `toGuest`.
   */
  move?(resource: string, handle: number): unknown;
}

export type TypeOf<K extends WitKind> = WitType & { kind: K };

export interface Rule<K extends WitKind> {
  schema(type: TypeOf<K>): JsonSchema;
  /** Validates `json` at `path` and returns the guest value; throws RuntimeError('invalid-argument'). */
  fromJson(type: TypeOf<K>, json: unknown, path: string, handles: HandleTable): unknown;
  toJson(type: TypeOf<K>, value: unknown, handles: HandleTable): Json;
}

export const INT_BOUNDS: Record<WitIntKind, [bigint, bigint]> = {
  s8: [-128n, 127n],
  u8: [0n, 255n],
  s16: [-32768n, 32767n],
  u16: [0n, 65535n],
  s32: [-2147483648n, 2147483647n],
  u32: [0n, 4294967295n],
  s64: [-(2n ** 63n), 2n ** 63n - 1n],
  u64: [0n, 2n ** 64n - 1n],
};

/** Largest finite f32. */
export const F32_MAX = 3.4028234663852886e38;
export const NON_FINITE = ['NaN', 'Infinity', '-Infinity'];

export const DECIMAL = /^(?:0|-?[1-9][0-9]*)$/;
export const UNSIGNED_DECIMAL = /^(?:0|[1-9][0-9]*)$/;
export const LONE_SURROGATE = /\p{Surrogate}/u;

/** A short description of a JSON value for error messages: `42`, `"abc"`, `an object`, `nothing`. */
export function describeJson(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (Array.isArray(value)) return `an array of ${value.length}`;
  if (typeof value === 'object' && value !== null) {
    const text = JSON.stringify(value);
    return text.length <= 60 ? text : 'an object';
  }
  const text = typeof value === 'bigint' ? `${value}` : JSON.stringify(value);
  if (text === undefined) return typeof value;
  return text.length <= 60 ? text : `${text.slice(0, 57)}...`;
}

export function invalid(path: string, message: string): RuntimeError {
  return new RuntimeError('invalid-argument', `argument "${path}": ${message}`);
}

export function expected(path: string, what: string, got: unknown): RuntimeError {
  return invalid(path, `expected ${what}, got ${describeJson(got)}`);
}

export function quoteList(names: string[]): string {
  return names.map((n) => JSON.stringify(n)).join(', ');
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function intRange(kind: WitIntKind): string {
  const [min, max] = INT_BOUNDS[kind];
  return `from ${min} to ${max} (${kind})`;
}

export const intRule: Rule<WitIntKind> = {
  schema(type) {
    const [min, max] = INT_BOUNDS[type.kind];
    if (type.kind !== 's64' && type.kind !== 'u64') {
      return { type: 'integer', minimum: Number(min), maximum: Number(max) };
    }
    // No bounds on the number form: a JSON number beyond ±2^53 (or below 0 for u64) must reach
    // `fromJson`, whose message says what to do (pass a decimal string); a schema bound would make the
    // MCP SDK answer first with its validator's text. The range is in the description.
    return {
      anyOf: [
        { type: 'integer' },
        { type: 'string', pattern: (type.kind === 'u64' ? UNSIGNED_DECIMAL : DECIMAL).source },
      ],
      description: `${type.kind}: an integer ${intRange(type.kind)}; beyond ±2^53 pass it as a decimal string`,
    };
  },
  fromJson(type, json, path) {
    const [min, max] = INT_BOUNDS[type.kind];
    const wide = type.kind === 's64' || type.kind === 'u64';
    const what = wide
      ? `an integer ${intRange(type.kind)} or a decimal string`
      : `an integer ${intRange(type.kind)}`;
    let value: bigint;
    if (typeof json === 'number' && Number.isInteger(json)) {
      if (wide && !Number.isSafeInteger(json)) {
        throw invalid(
          path,
          `${describeJson(json)} is beyond 2^53 and cannot be exact as a JSON number: pass it as a decimal string`,
        );
      }
      value = BigInt(json);
    } else if (wide && typeof json === 'string' && DECIMAL.test(json)) {
      value = BigInt(json);
    } else {
      throw expected(path, what, json);
    }
    if (value < min || value > max) throw expected(path, what, json);
    return wide ? value : Number(value);
  },
  toJson(_type, value) {
    if (typeof value === 'bigint') {
      const n = Number(value);
      return Number.isSafeInteger(n) ? n : value.toString();
    }
    return value as number;
  },
};

export const floatRule: Rule<'f32' | 'f64'> = {
  schema(type) {
    const number: JsonSchema = { type: 'number' };
    if (type.kind === 'f32') Object.assign(number, { minimum: -F32_MAX, maximum: F32_MAX });
    return {
      anyOf: [number, { type: 'string', enum: NON_FINITE }],
      description: `${type.kind}: a number, or "NaN", "Infinity", "-Infinity"`,
    };
  },
  fromJson(type, json, path) {
    if (typeof json === 'string' && NON_FINITE.includes(json)) return Number(json);
    if (typeof json !== 'number' || !Number.isFinite(json)) {
      throw expected(path, `a number (${type.kind}) or one of "NaN", "Infinity", "-Infinity"`, json);
    }
    if (type.kind === 'f32' && Math.abs(json) > F32_MAX) {
      throw expected(path, `a number within the f32 range ±${F32_MAX}`, json);
    }
    return json;
  },
  toJson(_type, value) {
    const n = value as number;
    return Number.isFinite(n) ? n : String(n);
  },
};

export const boolRule: Rule<'bool'> = {
  schema: () => ({ type: 'boolean' }),
  fromJson(_type, json, path) {
    if (typeof json !== 'boolean') throw expected(path, 'true or false', json);
    return json;
  },
  toJson: (_type, value) => Boolean(value),
};

export const charRule: Rule<'char'> = {
  schema: () => ({
    type: 'string',
    minLength: 1,
    maxLength: 1,
    description: 'char: exactly one Unicode character',
  }),
  fromJson(_type, json, path) {
    const what = 'a string of exactly one Unicode character';
    if (typeof json !== 'string') throw expected(path, what, json);
    const code = json.codePointAt(0);
    if (code === undefined || json.length !== (code > 0xffff ? 2 : 1)) throw expected(path, what, json);
    if (code >= 0xd800 && code <= 0xdfff) {
      throw invalid(path, `expected ${what}, got a lone surrogate (U+${code.toString(16).toUpperCase()})`);
    }
    return json;
  },
  toJson: (_type, value) => value as string,
};

export const stringRule: Rule<'string'> = {
  schema: () => ({ type: 'string' }),
  fromJson(_type, json, path) {
    if (typeof json !== 'string') throw expected(path, 'a string', json);
    if (LONE_SURROGATE.test(json)) {
      const at = [...json].findIndex((c) => LONE_SURROGATE.test(c));
      throw invalid(path, `expected a string of valid Unicode, got a lone surrogate at character ${at}`);
    }
    return json;
  },
  toJson: (_type, value) => value as string,
};
