/**
 * Parsers for the parts of a component that carry no WIT types but have no length prefix of their
 * own (core types inside instance/component types, canonical definitions): they are read only to
 * find where they end, and to learn which component functions a `canon lift` defines.
 */
import type { Reader } from './Reader.ts';

/** Core value/storage types that are one byte: numbers, v128, packed i8/i16, abstract reference types. */
function isSimpleCoreValType(byte: number): boolean {
  return (byte >= 0x69 && byte <= 0x7f) || byte === 0x74;
}

function skipCoreValType(r: Reader): void {
  const byte = r.u8('core value type');
  if (isSimpleCoreValType(byte)) return;
  if (byte === 0x64 || byte === 0x63) {
    // (ref ht) / (ref null ht): an abstract heap type byte or a type index as s33.
    const heap = r.peek('heap type');
    if (heap >= 0x40 && heap < 0x80) r.u8('heap type');
    else r.skipLeb('heap type', 5);
    return;
  }
  r.fail(`unknown core value type 0x${byte.toString(16)}`, r.pos - 1);
}

function skipCompType(r: Reader, form: number): void {
  switch (form) {
    case 0x60:
      r.vec('core params', () => skipCoreValType(r));
      r.vec('core results', () => skipCoreValType(r));
      return;
    case 0x5f:
      r.vec('struct fields', () => {
        skipCoreValType(r);
        r.u8('field mutability');
      });
      return;
    case 0x5e:
      skipCoreValType(r);
      r.u8('field mutability');
      return;
    default:
      r.fail(`unknown core composite type 0x${form.toString(16)}`, r.pos - 1);
  }
}

function skipSubType(r: Reader, form: number): void {
  if (form === 0x50 || form === 0x4f) {
    r.vec('supertypes', () => r.u32('supertype index'));
    skipCompType(r, r.u8('core composite type'));
  } else {
    skipCompType(r, form);
  }
}

function skipLimits(r: Reader): void {
  const flags = r.u8('limits flags');
  const bits = flags & 0x04 ? 10 : 5;
  r.skipLeb('limits minimum', bits);
  if (flags & 0x01) r.skipLeb('limits maximum', bits);
  if (flags & 0x08) r.u32('page size');
}

function skipCoreExternType(r: Reader): void {
  const kind = r.u8('core extern kind');
  switch (kind) {
    case 0x00:
      r.u32('core type index');
      return;
    case 0x01:
      skipCoreValType(r);
      skipLimits(r);
      return;
    case 0x02:
      skipLimits(r);
      return;
    case 0x03:
      skipCoreValType(r);
      r.u8('global mutability');
      return;
    case 0x04:
      r.u8('tag attribute');
      r.u32('core type index');
      return;
    default:
      r.fail(`unknown core extern kind 0x${kind.toString(16)}`, r.pos - 1);
  }
}

/** A `core:type` as it appears inside a component: a module type or a (GC) core type definition. */
export function skipCoreType(r: Reader): void {
  const form = r.u8('core type form');
  if (form === 0x50) {
    r.vec('module type declarations', () => {
      const decl = r.u8('module type declaration');
      switch (decl) {
        case 0x00:
          r.name('core import module');
          r.name('core import name');
          skipCoreExternType(r);
          return;
        case 0x01:
          skipCoreType(r);
          return;
        case 0x02:
          r.u8('core alias sort');
          r.u8('core alias target');
          r.u32('outer count');
          r.u32('outer index');
          return;
        case 0x03:
          r.name('core export name');
          skipCoreExternType(r);
          return;
        default:
          r.fail(`unknown module type declaration 0x${decl.toString(16)}`, r.pos - 1);
      }
    });
  } else if (form === 0x4e) {
    r.vec('rec group types', () => skipSubType(r, r.u8('core sub type')));
  } else if (form === 0x00) {
    const sub = r.u8('core sub type');
    if (sub !== 0x50) r.fail(`expected 0x50 after 0x00 in a core type, got 0x${sub.toString(16)}`, r.pos - 1);
    skipSubType(r, sub);
  } else {
    skipSubType(r, form);
  }
}

function skipCanonOpts(r: Reader, onAsync?: () => void): void {
  r.vec('canonical options', () => {
    const opt = r.u8('canonical option');
    if (opt === 0x06) onAsync?.(); // the `async` option (component-model async)
    if (opt <= 0x02 || opt === 0x06) return;
    if (opt <= 0x05 || opt === 0x07 || opt === 0x08) {
      r.u32('canonical option index');
      return;
    }
    r.fail(`unknown canonical option 0x${opt.toString(16)}`, r.pos - 1);
  });
}

/**
 * Reads one canonical definition. Returns the type index of the component function it defines
 * (`canon lift`), or undefined when it defines a core function.
 */
export function readCanon(r: Reader, skipValType: () => void, onAsync?: () => void): number | undefined {
  const op = r.u8('canonical definition');
  const u32 = () => r.u32('index');
  const flag = () => r.u8('flag');
  switch (op) {
    case 0x00: {
      if (r.u8('lift sort') !== 0x00) r.fail('canon lift must lift a core function', r.pos - 1);
      u32();
      skipCanonOpts(r, onAsync);
      return r.u32('function type index');
    }
    case 0x01:
      if (r.u8('lower sort') !== 0x00) r.fail('canon lower must lower a function', r.pos - 1);
      u32();
      skipCanonOpts(r, onAsync);
      return undefined;
    case 0x02:
    case 0x03:
    case 0x04:
    case 0x0e:
    case 0x13:
    case 0x14:
    case 0x15:
    case 0x1a:
    case 0x1b:
      u32();
      return undefined;
    case 0x05:
    case 0x08:
    case 0x0d:
    case 0x1e:
    case 0x1f:
    case 0x22:
    case 0x23:
    case 0x24:
    case 0x25:
    case 0x26:
    case 0x28:
      return undefined;
    case 0x06:
    case 0x0c:
    case 0x29:
    case 0x2a:
    case 0x2b:
    case 0x2c:
    case 0x2d:
    case 0x42:
      flag();
      return undefined;
    case 0x09: {
      const form = r.u8('result list');
      if (form === 0x00) skipValType();
      else if (form !== 0x01 || r.u8('empty result list') !== 0x00)
        r.fail('malformed result list', r.pos - 1);
      skipCanonOpts(r);
      return undefined;
    }
    case 0x0a:
    case 0x0b:
      flag();
      u32();
      return undefined;
    case 0x0f:
    case 0x10:
    case 0x16:
    case 0x17:
      u32();
      skipCanonOpts(r);
      return undefined;
    case 0x11:
    case 0x12:
    case 0x18:
    case 0x19:
      u32();
      flag();
      return undefined;
    case 0x1c:
    case 0x1d:
      skipCanonOpts(r);
      return undefined;
    case 0x20:
    case 0x21:
    case 0x40:
      flag();
      u32();
      return undefined;
    case 0x27:
      u32();
      u32();
      return undefined;
    case 0x41:
      flag();
      u32();
      u32();
      return undefined;
    default:
      r.fail(`unknown canonical definition 0x${op.toString(16)}`, r.pos - 1);
  }
}
