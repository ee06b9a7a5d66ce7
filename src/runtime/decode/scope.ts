/**
 * The index spaces of one component, component type or instance type, and the small readers
 * (sorts, extern names) that every section needs.
 */
import type { ComponentNode, Entity, FuncNode, InstanceNode, Sort, TypeNode, ValNode } from './model.ts';
import type { Reader } from './Reader.ts';

/**
 * Deepest nesting the decoder accepts, for value types (`list<list<...>>`) and for scopes (components
 * and component/instance types inside each other). Real interfaces nest a handful of levels; the
 * limit keeps every recursive walk over types (here, in wit/ and in the worker) far from the stack's end.
 */
export const MAX_NESTING = 100;

/** The index spaces of one component, component type or instance type. */
export class Scope {
  readonly types: TypeNode[] = [];
  readonly funcs: FuncNode[] = [];
  readonly instances: InstanceNode[] = [];
  readonly components: ComponentNode[] = [];
  readonly values: ValNode[] = [];
  readonly imports = new Map<string, Entity>();
  readonly exports = new Map<string, Entity>();
  /** Import names in binary order. */
  readonly importNames: { name: string; entity: Entity; eqType: boolean }[] = [];

  /** How many scopes enclose this one (0 for the top-level component). */
  readonly depth: number;

  /**
   * What the component uses of component-model async (WASI 0.3): shared by every scope of one
   * component, so a use deep in a nested type is seen at the top (decodeComponent refuses them).
   */
  readonly asyncUses: Set<string>;

  constructor(readonly parent?: Scope) {
    this.depth = parent === undefined ? 0 : parent.depth + 1;
    this.asyncUses = parent?.asyncUses ?? new Set();
  }

  /** A scope nested in this one (a component, component type or instance type), within `MAX_NESTING`. */
  nested(r: Reader, what: string): Scope {
    if (this.depth >= MAX_NESTING) {
      r.fail(`${what} nests more than ${MAX_NESTING} levels deep (wasmactor's limit on nesting)`);
    }
    return new Scope(this);
  }

  outer(r: Reader, count: number): Scope {
    let scope: Scope | undefined = this;
    for (let i = 0; i < count; i++) scope = scope?.parent;
    if (!scope) r.fail(`outer alias reaches ${count} scopes out, past the outermost component`);
    return scope;
  }

  /** Looks up `index` in the index space of `sort`. */
  get(r: Reader, sort: Sort, index: number): Entity {
    const space = this.space(sort);
    if (!space) return { sort };
    if (index >= space.length) r.fail(`${sort} index ${index} is out of range (${space.length} defined)`);
    return { sort, node: space[index] };
  }

  /** Appends an entity to the index space of its sort. */
  add(r: Reader, entity: Entity): void {
    const space = this.space(entity.sort);
    if (!space) return;
    const node = entity.node;
    const expected = { func: 'func', instance: 'instance', component: 'component', value: 'val' }[
      entity.sort as string
    ];
    if (!node || (expected && node.kind !== expected))
      r.fail(`a ${entity.sort} is described by a ${node?.kind} type`);
    space.push(node as never);
  }

  private space(sort: Sort): TypeNode[] | undefined {
    switch (sort) {
      case 'type':
        return this.types;
      case 'func':
        return this.funcs;
      case 'instance':
        return this.instances;
      case 'component':
        return this.components;
      case 'value':
        return this.values;
      default:
        return undefined;
    }
  }

  typeOf<K extends TypeNode['kind']>(r: Reader, index: number, kind: K): Extract<TypeNode, { kind: K }> {
    const node = this.get(r, 'type', index).node as TypeNode;
    if (node.kind !== kind) r.fail(`type ${index} is a ${node.kind} type where a ${kind} type was expected`);
    return node as Extract<TypeNode, { kind: K }>;
  }
}

export function readSort(r: Reader): Sort {
  const byte = r.u8('sort');
  switch (byte) {
    case 0x00: {
      const core = r.u8('core sort');
      return core === 0x11 ? 'module' : 'core';
    }
    case 0x01:
      return 'func';
    case 0x02:
      return 'value';
    case 0x03:
      return 'type';
    case 0x04:
      return 'component';
    case 0x05:
      return 'instance';
    default:
      r.fail(`unknown sort 0x${byte.toString(16)}`, r.pos - 1);
  }
}

/** An import or export name (`nameattributes`): the name, with any attributes read and dropped. */
export function readExternName(r: Reader): string {
  const form = r.u8('extern name');
  if (form > 0x02) r.fail(`unknown extern name form 0x${form.toString(16)}`, r.pos - 1);
  const name = r.name('extern name');
  if (form === 0x02) {
    r.vec('name attributes', () => {
      const kind = r.u8('name attribute');
      if (kind > 0x02) r.fail(`unknown name attribute 0x${kind.toString(16)}`, r.pos - 1);
      r.name('name attribute');
    });
  }
  return name;
}
