/**
 * Component-level value types (`valtype`, `defvaltype`) and function types.
 */
import { type FuncNode, type PrimKind, type TypeNode, type ValDef, type ValNode, val } from './model.ts';
import type { Reader } from './Reader.ts';
import { MAX_NESTING, type Scope } from './scope.ts';

const primitives: Record<number, PrimKind> = {
  127: 'bool',
  126: 's8',
  125: 'u8',
  124: 's16',
  123: 'u16',
  122: 's32',
  121: 'u32',
  120: 's64',
  119: 'u64',
  118: 'f32',
  117: 'f64',
  116: 'char',
  115: 'string',
};
const primNodes = new Map(
  Object.entries(primitives).map(([byte, prim]) => [Number(byte), val({ t: 'prim', prim })]),
);
const errorContext = val({ t: 'unsupported', what: 'error-context' });

export function readValType(r: Reader, scope: Scope): ValNode {
  const byte = r.peek('value type');
  const prim = primNodes.get(byte);
  if (prim) {
    r.pos++;
    return prim;
  }
  if (byte === 0x64) {
    r.pos++;
    scope.asyncUses.add('error-context');
    return errorContext;
  }
  const at = r.pos;
  const index = r.u32('type index');
  const node = scope.get(r, 'type', index).node as TypeNode;
  if (node.kind !== 'val') r.fail(`type ${index} is a ${node.kind} type where a value type was expected`, at);
  return node;
}

export function optional<T>(r: Reader, what: string, read: () => T): T | undefined {
  const flag = r.u8(what);
  if (flag === 0x00) return undefined;
  if (flag !== 0x01)
    r.fail(`expected 0x00 or 0x01 before an optional ${what}, got 0x${flag.toString(16)}`, r.pos - 1);
  return read();
}

export function readDefValType(r: Reader, scope: Scope): ValNode {
  const start = r.pos;
  const node = readDefValTypeUnchecked(r, scope);
  if (node.depth > MAX_NESTING) {
    r.fail(`a value type nests more than ${MAX_NESTING} levels deep (wasmactor's limit on nesting)`, start);
  }
  return node;
}

function readDefValTypeUnchecked(r: Reader, scope: Scope): ValNode {
  const op = r.peek('value type definition');
  if (primNodes.has(op) || op === 0x64) return readValType(r, scope);
  r.pos++;
  const valType = () => readValType(r, scope);
  const label = (what: string) => r.name(what);
  let def: ValDef;
  switch (op) {
    case 0x72:
      def = {
        t: 'record',
        fields: r.vec('record fields', () => ({ name: label('field name'), type: valType() })),
      };
      break;
    case 0x71:
      def = {
        t: 'variant',
        cases: r.vec('variant cases', () => {
          const name = label('case name');
          const type = optional(r, 'case type', valType);
          // An old encoding let a case "refine" an earlier one; the index is read and ignored.
          optional(r, 'case refinement', () => r.u32('refined case'));
          return type ? { name, type } : { name };
        }),
      };
      break;
    case 0x70:
      def = { t: 'list', element: valType() };
      break;
    case 0x67:
      valType();
      r.u32('list length');
      def = { t: 'unsupported', what: 'fixed-length list' };
      break;
    case 0x6f:
      def = { t: 'tuple', types: r.vec('tuple types', valType) };
      break;
    case 0x6e:
      def = { t: 'flags', names: r.vec('flags', () => label('flag name')) };
      break;
    case 0x6d:
      def = { t: 'enum', names: r.vec('enum cases', () => label('enum case')) };
      break;
    case 0x6c:
      r.vec('union types', valType);
      def = { t: 'unsupported', what: 'union' };
      break;
    case 0x6b:
      def = { t: 'option', type: valType() };
      break;
    case 0x6a: {
      const ok = optional(r, 'ok type', valType);
      const err = optional(r, 'error type', valType);
      def = { t: 'result', ...(ok && { ok }), ...(err && { err }) };
      break;
    }
    case 0x69:
    case 0x68:
      def = {
        t: op === 0x69 ? 'own' : 'borrow',
        resource: scope.typeOf(r, r.u32('resource type index'), 'resource'),
      };
      break;
    case 0x66:
    case 0x65:
      optional(r, 'element type', valType);
      def = { t: 'unsupported', what: op === 0x66 ? 'stream' : 'future' };
      scope.asyncUses.add(op === 0x66 ? 'stream types' : 'future types');
      break;
    case 0x63:
      valType();
      valType();
      def = { t: 'unsupported', what: 'map' };
      break;
    default:
      r.fail(`unknown type definition 0x${op.toString(16)}`, r.pos - 1);
  }
  return val(def);
}

export function readFuncType(r: Reader, scope: Scope): FuncNode {
  const params = r.vec('parameters', () => ({ name: r.name('parameter name'), type: readValType(r, scope) }));
  const form = r.u8('result list');
  if (form === 0x00) return { kind: 'func', params, result: readValType(r, scope) };
  if (form !== 0x01) r.fail(`unknown result list form 0x${form.toString(16)}`, r.pos - 1);
  // 0x01 is followed by named results: empty today; older binaries could name one or more.
  const results = r.vec('named results', () => ({
    name: r.name('result name'),
    type: readValType(r, scope),
  }));
  if (results.length === 0) return { kind: 'func', params };
  if (results.length === 1) return { kind: 'func', params, result: results[0]?.type };
  return { kind: 'func', params, result: val({ t: 'unsupported', what: 'multiple named results' }) };
}
