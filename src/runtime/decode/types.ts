/**
 * Component-level type definitions (`deftype`, `externtype`), aliases and declarations, and the
 * index spaces they populate.
 */
import {
  type Entity,
  type InstanceNode,
  NAMED_BY_EXPORT,
  NAMED_BY_IMPORT,
  nameNode,
  type TypeNode,
} from './model.ts';
import type { Reader } from './Reader.ts';
import { readExternName, readSort, type Scope } from './scope.ts';
import { skipCoreType } from './skip.ts';
import { optional, readDefValType, readFuncType, readValType } from './valType.ts';

/** One `type` definition: a value type, function, component, instance or resource type. */
export function readDefType(r: Reader, scope: Scope): TypeNode {
  const op = r.peek('type definition');
  switch (op) {
    case 0x40:
      r.pos++;
      return readFuncType(r, scope);
    case 0x43:
      // `async func`: component-model async, which jco cannot instantiate (see decodeComponent).
      r.pos++;
      scope.asyncUses.add('async function types');
      return readFuncType(r, scope);
    case 0x41: {
      r.pos++;
      const inner = scope.nested(r, 'a component type');
      r.vec('component type declarations', () => readDecl(r, inner, true));
      return { kind: 'component', imports: inner.imports, exports: inner.exports };
    }
    case 0x42: {
      r.pos++;
      const inner = scope.nested(r, 'an instance type');
      r.vec('instance type declarations', () => readDecl(r, inner, false));
      return { kind: 'instance', exports: inner.exports };
    }
    case 0x3f:
      r.pos++;
      r.u8('resource representation');
      optional(r, 'resource destructor', () => r.u32('destructor index'));
      return { kind: 'resource', abstract: false, rank: 0 };
    default:
      return readDefValType(r, scope);
  }
}

/** An `externtype`: what an import, an export ascription or a declaration says about an item. */
export function readExternType(r: Reader, scope: Scope): Entity & { eqType?: boolean } {
  const kind = r.u8('extern type');
  switch (kind) {
    case 0x00:
      if (r.u8('core sort') !== 0x11) r.fail('only core modules may be imported or exported', r.pos - 1);
      r.u32('core type index');
      return { sort: 'module' };
    case 0x01:
      return { sort: 'func', node: scope.typeOf(r, r.u32('function type index'), 'func') };
    case 0x02: {
      const bound = r.u8('value bound');
      if (bound === 0x00) return { sort: 'value', node: scope.get(r, 'value', r.u32('value index')).node };
      if (bound === 0x01) return { sort: 'value', node: readValType(r, scope) };
      return r.fail(`unknown value bound 0x${bound.toString(16)}`, r.pos - 1);
    }
    case 0x03: {
      const bound = r.u8('type bound');
      if (bound === 0x00)
        return { sort: 'type', node: scope.get(r, 'type', r.u32('type index')).node, eqType: true };
      if (bound === 0x01) return { sort: 'type', node: { kind: 'resource', abstract: true, rank: 0 } };
      return r.fail(`unknown type bound 0x${bound.toString(16)}`, r.pos - 1);
    }
    case 0x04:
      return { sort: 'component', node: scope.typeOf(r, r.u32('component type index'), 'component') };
    case 0x05:
      return { sort: 'instance', node: scope.typeOf(r, r.u32('instance type index'), 'instance') };
    default:
      return r.fail(`unknown extern type 0x${kind.toString(16)}`, r.pos - 1);
  }
}

/** Records an import in `scope`: its index space, its name, and the name of a type it brings. */
export function declareImport(
  r: Reader,
  scope: Scope,
  name: string,
  entity: Entity & { eqType?: boolean },
): void {
  scope.add(r, entity);
  scope.imports.set(name, entity);
  scope.importNames.push({ name, entity, eqType: entity.eqType === true });
  if (entity.sort === 'type') nameNode(entity.node, name, NAMED_BY_IMPORT);
}

export function declareExport(r: Reader, scope: Scope, name: string, entity: Entity): void {
  scope.add(r, entity);
  scope.exports.set(name, { sort: entity.sort, node: entity.node });
  if (entity.sort === 'type') nameNode(entity.node, name, NAMED_BY_EXPORT);
}

/** An alias definition or declarator; pushes what it names into the matching index space. */
export function readAlias(r: Reader, scope: Scope): void {
  const sort = readSort(r);
  const target = r.u8('alias target');
  switch (target) {
    case 0x00: {
      const index = r.u32('instance index');
      const name = r.name('export name');
      const instance = scope.get(r, 'instance', index).node as InstanceNode;
      const entity = instance.exports.get(name);
      if (!entity) r.fail(`instance ${index} has no export named '${name}'`);
      if (entity.sort !== sort)
        r.fail(`export '${name}' of instance ${index} is a ${entity.sort}, not a ${sort}`);
      scope.add(r, entity);
      return;
    }
    case 0x01:
      r.u32('core instance index');
      r.name('core export name');
      return;
    case 0x02: {
      const count = r.u32('outer count');
      const index = r.u32('outer index');
      if (sort === 'core' || sort === 'module') return;
      scope.add(r, scope.outer(r, count).get(r, sort, index));
      return;
    }
    default:
      r.fail(`unknown alias target 0x${target.toString(16)}`, r.pos - 1);
  }
}

function readDecl(r: Reader, scope: Scope, inComponentType: boolean): void {
  const at = r.pos;
  const op = r.u8('declaration');
  switch (op) {
    case 0x00:
      skipCoreType(r);
      return;
    case 0x01:
      scope.types.push(readDefType(r, scope));
      return;
    case 0x02:
      readAlias(r, scope);
      return;
    case 0x03:
      if (!inComponentType) r.fail('an instance type cannot declare imports', at);
      declareImport(r, scope, readExternName(r), readExternType(r, scope));
      return;
    case 0x04: {
      const name = readExternName(r);
      declareExport(r, scope, name, readExternType(r, scope));
      return;
    }
    default:
      r.fail(`unknown declaration 0x${op.toString(16)}`, at);
  }
}
