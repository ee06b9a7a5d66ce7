/**
 * Decodes a component binary into its exported functions with full WIT types, and the names of its
 * imports. jco's `componentWit()` prints only the root world, so exported interfaces of other
 * packages (`wasi:cli/run@0.2.3`) need this reading of the component model's binary format
 * (component-model `design/mvp/Binary.md`).
 *
 * Core modules and core instances are skipped by their section sizes; only the component-level
 * index spaces (types, funcs, instances, components, values) are tracked.
 */

import { RuntimeError } from '../RuntimeError.ts';
import type { ComponentTypes, ExportedFunction } from '../types.ts';
import { applyPackageDocs } from './applyDocs.ts';
import { readPackageDocs } from './customSections.ts';
import {
  type Budget,
  type ComponentNode,
  type Entity,
  type FuncNode,
  type InstanceNode,
  NAMED_BY_EXPORT,
  nameNode,
  type ResourceNode,
  substitute,
  type TypeNode,
  toWitType,
  val,
} from './model.ts';
import { describeFormat, Reader } from './Reader.ts';
import { readExternName, readSort, Scope } from './scope.ts';
import { readCanon } from './skip.ts';
import { declareExport, declareImport, readAlias, readDefType, readExternType } from './types.ts';
import { readValType } from './valType.ts';

const MAGIC = [0x00, 0x61, 0x73, 0x6d];
/** Pre-standard component binary versions this decoder reads (0x0d is current). */
/** Bound on the size of the decoded types (kitchen-sink, with 60 functions, needs a few thousand). */
const MAX_TYPE_NODES = 1_000_000;
const MIN_VERSION = 0x0a;
const MAX_VERSION = 0x0d;
const EXPECTED = "a WebAssembly component ('\\0asm' magic, layer 1) was expected";

const sectionNames = [
  'custom',
  'core module',
  'core instance',
  'core type',
  'component',
  'instance',
  'alias',
  'type',
  'canon',
  'start',
  'import',
  'export',
  'value',
];

/**
 * Decodes a component binary.
 * @throws RuntimeError `not-wasm`, `core-module`, `truncated` or `invalid-component`
 */
export function decodeComponent(bytes: Uint8Array): ComponentTypes {
  checkComponentHeader(bytes);
  try {
    return decodeChecked(bytes);
  } catch (error) {
    // Only a crafted binary nests types deeply enough to exhaust the stack.
    if (error instanceof RangeError) {
      throw new RuntimeError('invalid-component', 'invalid component: its types nest too deeply to decode', {
        cause: error,
      });
    }
    throw error;
  }
}

function decodeChecked(bytes: Uint8Array): ComponentTypes {
  const scope = new Scope();
  readSections(new Reader(bytes, 8, bytes.length, 'the top-level component'), scope);
  refuseAsync(scope);
  const budget: Budget = { left: MAX_TYPE_NODES };
  const functions: ExportedFunction[] = [];
  for (const [name, entity] of scope.exports) {
    if (entity.sort === 'func')
      functions.push(exportedFunction(undefined, name, entity.node as FuncNode, budget));
    if (entity.sort === 'instance') {
      for (const [funcName, item] of (entity.node as InstanceNode).exports) {
        if (item.sort === 'func')
          functions.push(exportedFunction(name, funcName, item.node as FuncNode, budget));
      }
    }
  }
  // A type import bound by `eq` only renames a type that another import already brought in.
  const imports = scope.importNames.filter((i) => !i.eqType).map((i) => i.name);
  applyPackageDocs(functions, readPackageDocs(bytes));
  return { functions, imports };
}

/**
 * Refuses a component that uses component-model async (WASI 0.3, "p3"): jco's glue cannot instantiate
 * it on this Node (its calls crash the instance's worker), so it is refused at load, with what it uses,
 * rather than at every call.
 */
function refuseAsync(scope: Scope): void {
  if (scope.asyncUses.size === 0) return;
  throw new RuntimeError(
    'invalid-component',
    `unsupported component: it uses component-model async (WASI 0.3 / p3: ${[...scope.asyncUses].join(', ')}), ` +
      'which wasmactor cannot run (jco cannot instantiate it on this Node). Build it for WASI 0.2 ' +
      '(wasm32-wasip2) with synchronous exports.',
  );
}

function exportedFunction(
  iface: string | undefined,
  name: string,
  func: FuncNode,
  budget: Budget,
): ExportedFunction {
  const where = `function '${iface === undefined ? name : `${iface}#${name}`}'`;
  const fn: ExportedFunction = {
    ...(iface !== undefined && { interface: iface }),
    name,
    params: func.params.map((p) => ({ name: p.name, type: toWitType(p.type, where, budget) })),
  };
  if (func.result) fn.result = toWitType(func.result, where, budget);
  return fn;
}

/**
 * Checks the 8-byte header (magic, version, layer) from the first bytes of a file, so a reader can
 * refuse a file that is not a component before reading the rest. Messages never show the bytes.
 * @throws RuntimeError `not-wasm`, `core-module`, `truncated` or `invalid-component`
 */
export function checkComponentHeader(bytes: Uint8Array): void {
  if (bytes.length === 0)
    throw new RuntimeError('not-wasm', `not WebAssembly: the file is empty; ${EXPECTED}`);
  const head = Math.min(4, bytes.length);
  for (let i = 0; i < head; i++) {
    if (bytes[i] !== MAGIC[i]) {
      const format = describeFormat(bytes);
      const looks = format === undefined ? '' : ` (it looks like ${format})`;
      throw new RuntimeError(
        'not-wasm',
        `not WebAssembly: the file does not start with the magic bytes '\\0asm'${looks}; ${EXPECTED}`,
      );
    }
  }
  if (bytes.length < 8) {
    throw new RuntimeError(
      'truncated',
      `the component is truncated: the file ends at offset ${bytes.length} inside the 8-byte header`,
    );
  }
  const version = (bytes[4] as number) | ((bytes[5] as number) << 8);
  const layer = (bytes[6] as number) | ((bytes[7] as number) << 8);
  if (layer === 0) {
    throw new RuntimeError(
      'core-module',
      `the file is a core WebAssembly module, not a component (header version ${version}, layer 0); build it as ` +
        'a component (e.g. `wasm-tools component new` / `jco componentize`)',
    );
  }
  if (layer !== 1 || version < MIN_VERSION || version > MAX_VERSION) {
    throw new RuntimeError(
      'invalid-component',
      `invalid component: unsupported binary version 0x${version.toString(16)} / layer ${layer} in the header ` +
        `(this decoder reads component versions 0x${MIN_VERSION.toString(16)}-0x${MAX_VERSION.toString(16)}, layer 1)`,
    );
  }
}

function readSections(r: Reader, scope: Scope): void {
  while (!r.atEnd) {
    const start = r.pos;
    const id = r.u8('section id');
    const sectionName = sectionNames[id];
    if (sectionName === undefined) r.fail(`unknown section id ${id}`, start);
    const where = `${sectionName} section (id ${id}) at offset ${start}`;
    const size = r.u32(`the size of the ${where}`);
    const s = r.sub(size, where, `the ${where}, which declares ${size} bytes`);
    readSection(s, id, scope);
    if (!s.atEnd) s.fail(`${s.end - s.pos} unread bytes at the end of the section`);
  }
}

function readSection(r: Reader, id: number, scope: Scope): void {
  switch (id) {
    case 0: // custom
    case 1: // core module
    case 2: // core instance
    case 3: // core type
      r.pos = r.end;
      return;
    case 4:
      scope.components.push(readNestedComponent(r, scope));
      return;
    case 5:
      r.vec('instances', () => scope.instances.push(readInstance(r, scope)));
      return;
    case 6:
      r.vec('aliases', () => readAlias(r, scope));
      return;
    case 7:
      r.vec('types', () => scope.types.push(readDefType(r, scope)));
      return;
    case 8:
      r.vec('canonical definitions', () => {
        const typeIndex = readCanon(
          r,
          () => readValType(r, scope),
          () => scope.asyncUses.add('the async canonical option'),
        );
        if (typeIndex !== undefined) scope.funcs.push(scope.typeOf(r, typeIndex, 'func'));
      });
      return;
    case 9: {
      r.u32('start function index');
      r.vec('start arguments', () => r.u32('value index'));
      const results = r.u32('number of start results');
      for (let i = 0; i < results; i++) scope.values.push(val({ t: 'unsupported', what: 'start value' }));
      return;
    }
    case 10:
      r.vec('imports', () => declareImport(r, scope, readExternName(r), readExternType(r, scope)));
      return;
    case 11:
      r.vec('exports', () => readExport(r, scope));
      return;
    case 12:
      r.vec('values', () => {
        const type = readValType(r, scope);
        r.skip(r.u32('value length'), 'value');
        scope.values.push(type);
      });
      return;
  }
}

function readNestedComponent(r: Reader, parent: Scope): ComponentNode {
  const start = r.pos;
  for (const byte of MAGIC)
    if (r.u8('nested component header') !== byte) r.fail('bad nested component magic', start);
  r.skip(2, 'nested component version');
  if (r.u8('layer') !== 0x01 || r.u8('layer') !== 0x00)
    r.fail('nested component does not have layer 1', start);
  const scope = parent.nested(r, 'a nested component');
  readSections(r, scope);
  return { kind: 'component', imports: scope.imports, exports: scope.exports };
}

function readExport(r: Reader, scope: Scope): void {
  const name = readExternName(r);
  const sort = readSort(r);
  const entity = scope.get(r, sort, r.u32(`${sort} index`));
  const flag = r.u8('export type ascription');
  if (flag > 0x01)
    r.fail(`expected 0x00 or 0x01 before an export's type, got 0x${flag.toString(16)}`, r.pos - 1);
  const ascribed = flag === 0x01 ? readExternType(r, scope) : undefined;
  // An ascribed type names the parameters as the exporter wants them seen; a `(sub resource)`
  // ascription would only hide which resource it is, so types keep the exported definition.
  declareExport(r, scope, name, ascribed && ascribed.sort !== 'type' ? ascribed : entity);
}

function readInstance(r: Reader, scope: Scope): InstanceNode {
  const form = r.u8('instance expression');
  if (form === 0x00) {
    const component = scope.get(r, 'component', r.u32('component index')).node as ComponentNode;
    const args = new Map<string, Entity>();
    r.vec('instantiation arguments', () => {
      const name = r.name('argument name');
      args.set(name, scope.get(r, readSort(r), r.u32('argument index')));
    });
    return instantiate(component, args);
  }
  if (form === 0x01) {
    const exports = new Map<string, Entity>();
    r.vec('inline exports', () => {
      const name = readExternName(r);
      const entity = scope.get(r, readSort(r), r.u32('export index'));
      exports.set(name, entity);
      if (entity.sort === 'type') nameNode(entity.node, name, NAMED_BY_EXPORT);
    });
    return { kind: 'instance', exports };
  }
  return r.fail(`unknown instance expression 0x${form.toString(16)}`, r.pos - 1);
}

/** The instance type of `component` instantiated with `args`: its exports, with resources supplied. */
function instantiate(component: ComponentNode, args: Map<string, Entity>): InstanceNode {
  const supplied = new Map<ResourceNode, TypeNode>();
  for (const [name, expected] of component.imports) {
    const actual = args.get(name);
    if (actual) matchResources(expected, actual, supplied);
  }
  const memo = new Map<object, object>();
  const exports = new Map<string, Entity>();
  for (const [name, entity] of component.exports) {
    const node = entity.node && substitute(entity.node, supplied, memo);
    exports.set(name, { sort: entity.sort, node });
    if (entity.sort === 'type') nameNode(node, name, NAMED_BY_EXPORT);
  }
  return { kind: 'instance', exports };
}

function matchResources(expected: Entity, actual: Entity, supplied: Map<ResourceNode, TypeNode>): void {
  const want = expected.node;
  const got = actual.node;
  if (!want || !got) return;
  if (want.kind === 'resource' && want.abstract && want !== got) supplied.set(want, got);
  if (want.kind === 'instance' && got.kind === 'instance') {
    for (const [name, item] of want.exports) {
      const other = got.exports.get(name);
      if (other) matchResources(item, other, supplied);
    }
  }
}
