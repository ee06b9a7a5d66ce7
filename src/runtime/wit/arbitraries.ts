/**
 * fast-check arbitraries of JSON values that are valid under the schemas of rules.ts: the one generator
 * that the property suites and `wasmactor check` share.
 *
 * By default values are in canonical form, the form that `resultToJson` emits, so a value sent to an
 * identity guest function comes back unchanged: s64/u64 as numbers when safe and decimal strings
 * otherwise, floats as numbers or "NaN"/"Infinity"/"-Infinity" (f32 values exactly representable,
 * never -0, which JSON cannot carry), list<u8> as arrays, flags with every flag present.
 * With `{ alternateForms: true }` the other accepted input forms appear too (base64 bytes, safe
 * integers as decimal strings, flags with missing keys); those come back in canonical form.
 * Integers cover their whole range (fast-check favours the extremes and small values); strings and
 * chars are any Unicode code points, astral ones included, never a lone surrogate.
 */
import fc from 'fast-check';
import type { Json, WitType } from '../types.ts';
import { INT_BOUNDS } from './scalarRules.ts';

/** How `arbitraryJsonFor` shapes its values. */
export interface ArbitraryOptions {
  /** Also produce non-canonical input forms. */
  alternateForms?: boolean;
  /** Largest list length (default 4). Lists are empty or short most of the time, this long sometimes. */
  maxListLength?: number;
  /** Largest string length in code points (default 20). */
  maxStringLength?: number;
  /**
   * What an `own`/`borrow` parameter gets (default: an integer handle 1..1000, which only tests that
   * unknown handles are refused). The checker passes its own, to use handles a constructor returned.
   */
  handle?: (type: WitType & { kind: 'own' | 'borrow' }) => fc.Arbitrary<Json>;
}

const nonFinite = fc.constantFrom<Json>('NaN', 'Infinity', '-Infinity');

const noNegativeZero = (x: number): Json => (x === 0 ? 0 : x);

/** Random JSON values of `type`, valid under its generated schema and accepted by `argsToGuest`. */
export function arbitraryJsonFor(type: WitType, options: ArbitraryOptions = {}): fc.Arbitrary<Json> {
  const alt = options.alternateForms === true;
  const maxLength = options.maxListLength ?? 4;
  const of = (t: WitType) => arbitraryJsonFor(t, options);
  switch (type.kind) {
    case 'bool':
      return fc.boolean();
    case 's8':
    case 'u8':
    case 's16':
    case 'u16':
    case 's32':
    case 'u32': {
      const [min, max] = INT_BOUNDS[type.kind];
      return fc.integer({ min: Number(min), max: Number(max) });
    }
    case 's64':
    case 'u64': {
      const [min, max] = INT_BOUNDS[type.kind];
      const big = fc.bigInt({ min, max });
      const canonical = big.map((b): Json => (Number.isSafeInteger(Number(b)) ? Number(b) : b.toString()));
      return alt
        ? fc.oneof(
            canonical,
            big.map((b): Json => b.toString()),
          )
        : canonical;
    }
    case 'f32':
      return fc.oneof(
        { weight: 9, arbitrary: fc.float({ noNaN: true, noDefaultInfinity: true }).map(noNegativeZero) },
        { weight: 1, arbitrary: nonFinite },
      );
    case 'f64':
      return fc.oneof(
        { weight: 9, arbitrary: fc.double({ noNaN: true, noDefaultInfinity: true }).map(noNegativeZero) },
        { weight: 1, arbitrary: nonFinite },
      );
    case 'char':
      return fc.string({ unit: 'binary', minLength: 1, maxLength: 1 });
    case 'string':
      return fc.string({ unit: 'binary', maxLength: options.maxStringLength ?? 20 });
    case 'list': {
      const short = fc.array(of(type.element), { maxLength: Math.min(maxLength, 4) });
      const array =
        maxLength > 4
          ? fc.oneof(
              { weight: 4, arbitrary: short },
              { weight: 1, arbitrary: fc.array(of(type.element), { maxLength, size: 'max' }) },
            )
          : short;
      if (type.element.kind !== 'u8' || !alt) return array;
      const base64 = fc.uint8Array({ maxLength: 12 }).map((b): Json => Buffer.from(b).toString('base64'));
      return fc.oneof(array, base64);
    }
    case 'record':
      return fc.record(
        Object.fromEntries(type.fields.map((f) => [f.name, of(f.type)])),
      ) as fc.Arbitrary<Json>;
    case 'tuple':
      return fc.tuple(...type.types.map(of)) as fc.Arbitrary<Json>;
    case 'enum':
      return fc.constantFrom(...type.cases);
    case 'flags': {
      const model = Object.fromEntries(type.flags.map((f) => [f, fc.boolean()]));
      return fc.record(model, alt ? { requiredKeys: [] } : {}) as fc.Arbitrary<Json>;
    }
    case 'variant':
      return fc.oneof(
        ...type.cases.map((c) =>
          c.type ? of(c.type).map((val): Json => ({ tag: c.name, val })) : fc.constant<Json>({ tag: c.name }),
        ),
      );
    case 'option': {
      const some =
        type.type.kind === 'option' ? of(type.type).map((v): Json => ({ some: v })) : of(type.type);
      return fc.oneof(fc.constant<Json>(null), some);
    }
    case 'result': {
      const side = (key: 'ok' | 'err', t: WitType | undefined) =>
        (t ? of(t) : fc.constant<Json>(null)).map((v): Json => ({ [key]: v }));
      return fc.oneof(side('ok', type.ok), side('err', type.err));
    }
    case 'own':
    case 'borrow':
      return options.handle ? options.handle(type) : fc.integer({ min: 1, max: 1000 });
  }
}

/** True when `type` holds a resource handle somewhere inside. */
export function containsHandle(type: WitType): boolean {
  switch (type.kind) {
    case 'own':
    case 'borrow':
      return true;
    case 'list':
      return containsHandle(type.element);
    case 'option':
      return containsHandle(type.type);
    case 'record':
      return type.fields.some((f) => containsHandle(f.type));
    case 'tuple':
      return type.types.some(containsHandle);
    case 'variant':
      return type.cases.some((c) => c.type !== undefined && containsHandle(c.type));
    case 'result':
      return [type.ok, type.err].some((t) => t !== undefined && containsHandle(t));
    default:
      return false;
  }
}
