/**
 * fast-check arbitraries of JSON values that are valid under the schemas of src/runtime/wit/rules.ts.
 *
 * By default values are in canonical form, the form that `resultToJson` emits, so a value sent to an
 * identity guest function comes back unchanged: s64/u64 as numbers when safe and decimal strings
 * otherwise, floats as numbers or "NaN"/"Infinity"/"-Infinity" (f32 values exactly representable,
 * never -0, which JSON cannot carry), list<u8> as arrays, flags with every flag present.
 * With `{ alternateForms: true }` the other accepted input forms appear too (base64 bytes, safe
 * integers as decimal strings, flags with missing keys); those come back in canonical form.
 */
import fc from 'fast-check';
import type { Json, WitType } from '../../src/runtime/types.ts';

export interface ArbitraryOptions {
  /** Also produce non-canonical input forms. */
  alternateForms?: boolean;
  /** Largest list length (default 4). */
  maxListLength?: number;
}

const INT_RANGES: Record<string, [number, number]> = {
  s8: [-128, 127],
  u8: [0, 255],
  s16: [-32768, 32767],
  u16: [0, 65535],
  s32: [-2147483648, 2147483647],
  u32: [0, 4294967295],
};

const nonFinite = fc.constantFrom<Json>('NaN', 'Infinity', '-Infinity');

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
      const [min, max] = INT_RANGES[type.kind] as [number, number];
      return fc.integer({ min, max });
    }
    case 's64':
    case 'u64': {
      const big =
        type.kind === 's64'
          ? fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n })
          : fc.bigInt({ min: 0n, max: 2n ** 64n - 1n });
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
        {
          weight: 9,
          arbitrary: fc.float({ noNaN: true, noDefaultInfinity: true }).map((x): Json => (x === 0 ? 0 : x)),
        },
        { weight: 1, arbitrary: nonFinite },
      );
    case 'f64':
      return fc.oneof(
        {
          weight: 9,
          arbitrary: fc.double({ noNaN: true, noDefaultInfinity: true }).map((x): Json => (x === 0 ? 0 : x)),
        },
        { weight: 1, arbitrary: nonFinite },
      );
    case 'char':
      return fc.string({ unit: 'binary', minLength: 1, maxLength: 1 });
    case 'string':
      return fc.string({ unit: 'binary', maxLength: 20 });
    case 'list': {
      const array = fc.array(of(type.element), { maxLength });
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
      return fc.integer({ min: 1, max: 1000 });
  }
}
