/**
 * The decoder's own picture of component-level types, richer than `WitType`: resources keep their
 * identity (so an instantiation can substitute them) and names are attached late (a record gets its
 * name when a later export or import names it). `toWitType` turns it into the shared model.
 */
import { RuntimeError } from '../RuntimeError.ts';
import type { WitType } from '../types.ts';

export type PrimKind =
  | 'bool'
  | 's8'
  | 'u8'
  | 's16'
  | 'u16'
  | 's32'
  | 'u32'
  | 's64'
  | 'u64'
  | 'f32'
  | 'f64'
  | 'char'
  | 'string';

export type ValDef =
  | { t: 'prim'; prim: PrimKind }
  | { t: 'list'; element: ValNode }
  | { t: 'record'; fields: { name: string; type: ValNode }[] }
  | { t: 'variant'; cases: { name: string; type?: ValNode }[] }
  | { t: 'tuple'; types: ValNode[] }
  | { t: 'flags'; names: string[] }
  | { t: 'enum'; names: string[] }
  | { t: 'option'; type: ValNode }
  | { t: 'result'; ok?: ValNode; err?: ValNode }
  | { t: 'own' | 'borrow'; resource: ResourceNode }
  /** A type that exists in the binary format but not in wasmactor's model (stream, future, map...). */
  | { t: 'unsupported'; what: string };

/** How strongly a name was given: an export name beats an import name (`import-type-point`). */
export const NAMED_BY_IMPORT = 1;
export const NAMED_BY_EXPORT = 2;

export interface ValNode {
  readonly kind: 'val';
  readonly def: ValDef;
  /** Levels of value types in it (1 for a primitive); computed from its parts, which exist before it. */
  readonly depth: number;
  name?: string;
  rank: number;
}

export interface ResourceNode {
  readonly kind: 'resource';
  /** Created by a `(sub resource)` bound: a placeholder that an instantiation may replace. */
  readonly abstract: boolean;
  name?: string;
  rank: number;
}

export interface FuncNode {
  readonly kind: 'func';
  readonly params: { name: string; type: ValNode }[];
  readonly result?: ValNode;
}

export interface InstanceNode {
  readonly kind: 'instance';
  readonly exports: Map<string, Entity>;
}

export interface ComponentNode {
  readonly kind: 'component';
  readonly imports: Map<string, Entity>;
  readonly exports: Map<string, Entity>;
}

export type TypeNode = ValNode | ResourceNode | FuncNode | InstanceNode | ComponentNode;

export type Sort = 'func' | 'value' | 'type' | 'component' | 'instance' | 'module' | 'core';

/** Something that can be imported, exported or aliased, with its type when it matters here. */
export interface Entity {
  sort: Sort;
  node?: TypeNode;
}

/** The value types directly inside `def`. */
function parts(def: ValDef): ValNode[] {
  switch (def.t) {
    case 'list':
      return [def.element];
    case 'record':
      return def.fields.map((f) => f.type);
    case 'variant':
      return def.cases.flatMap((c) => (c.type ? [c.type] : []));
    case 'tuple':
      return def.types;
    case 'option':
      return [def.type];
    case 'result':
      return [def.ok, def.err].filter((t) => t !== undefined);
    default:
      return [];
  }
}

export function val(def: ValDef): ValNode {
  let depth = 0;
  for (const part of parts(def)) depth = Math.max(depth, part.depth);
  return { kind: 'val', def, depth: depth + 1, rank: 0 };
}

const nameable = new Set(['record', 'variant', 'enum', 'flags']);

/** Names a record/variant/enum/flags or a resource, unless a stronger name is already there. */
export function nameNode(node: TypeNode | undefined, name: string, rank: number): void {
  if (!node || (node.kind !== 'resource' && (node.kind !== 'val' || !nameable.has(node.def.t)))) return;
  if (rank > node.rank) {
    node.name = name;
    node.rank = rank;
  }
}

/**
 * Replaces placeholder resources (`map` keys) inside a type: what instantiating a component with
 * concrete resources does to the types of its exports. Unchanged parts are shared, not copied.
 */
export function substitute<T extends TypeNode>(
  node: T,
  map: Map<ResourceNode, TypeNode>,
  memo: Map<object, object>,
): T {
  if (map.size === 0) return node;
  const done = memo.get(node);
  if (done) return done as T;
  const result = substituteUncached(node, map, memo);
  memo.set(node, result);
  return result as T;
}

function substituteUncached(
  node: TypeNode,
  map: Map<ResourceNode, TypeNode>,
  memo: Map<object, object>,
): TypeNode {
  const sub = <U extends TypeNode>(n: U): U => substitute(n, map, memo);
  const subMaybe = <U extends TypeNode>(n: U | undefined): U | undefined => (n ? sub(n) : undefined);
  const subEntities = (entities: Map<string, Entity>): Map<string, Entity> =>
    new Map([...entities].map(([k, e]) => [k, e.node ? { sort: e.sort, node: sub(e.node) } : e]));
  switch (node.kind) {
    case 'resource':
      return map.get(node) ?? node;
    case 'func':
      return {
        kind: 'func',
        params: node.params.map((p) => ({ name: p.name, type: sub(p.type) })),
        result: subMaybe(node.result),
      };
    case 'instance':
      return { kind: 'instance', exports: subEntities(node.exports) };
    case 'component':
      return { kind: 'component', imports: subEntities(node.imports), exports: subEntities(node.exports) };
    case 'val':
      return substituteVal(node, sub);
  }
}

function substituteVal(node: ValNode, sub: <U extends TypeNode>(n: U) => U): ValNode {
  const d = node.def;
  let def: ValDef;
  switch (d.t) {
    case 'prim':
    case 'flags':
    case 'enum':
    case 'unsupported':
      return node;
    case 'list':
      def = { t: 'list', element: sub(d.element) };
      break;
    case 'record':
      def = { t: 'record', fields: d.fields.map((f) => ({ name: f.name, type: sub(f.type) })) };
      break;
    case 'variant':
      def = { t: 'variant', cases: d.cases.map((c) => (c.type ? { name: c.name, type: sub(c.type) } : c)) };
      break;
    case 'tuple':
      def = { t: 'tuple', types: d.types.map(sub) };
      break;
    case 'option':
      def = { t: 'option', type: sub(d.type) };
      break;
    case 'result':
      def = { t: 'result', ok: d.ok && sub(d.ok), err: d.err && sub(d.err) };
      break;
    case 'own':
    case 'borrow': {
      const target = sub(d.resource) as TypeNode;
      if (target.kind !== 'resource') return node;
      def = { t: d.t, resource: target };
      break;
    }
  }
  return { kind: 'val', def, depth: node.depth, name: node.name, rank: node.rank };
}

/** How many `WitType` nodes one decode may produce: a crafted binary can nest shared types exponentially. */
export interface Budget {
  left: number;
}

/** Converts to the shared model; `where` names the function for the error about unsupported types. */
export function toWitType(node: ValNode, where: string, budget: Budget): WitType {
  if (--budget.left < 0) {
    throw new RuntimeError(
      'invalid-component',
      `invalid component: the types of ${where} expand to too many nodes`,
    );
  }
  const d = node.def;
  const name = node.name === undefined ? {} : { name: node.name };
  switch (d.t) {
    case 'prim':
      return { kind: d.prim };
    case 'list':
      return { kind: 'list', element: toWitType(d.element, where, budget) };
    case 'record':
      return {
        kind: 'record',
        ...name,
        fields: d.fields.map((f) => ({ name: f.name, type: toWitType(f.type, where, budget) })),
      };
    case 'variant':
      return {
        kind: 'variant',
        ...name,
        cases: d.cases.map((c) =>
          c.type ? { name: c.name, type: toWitType(c.type, where, budget) } : { name: c.name },
        ),
      };
    case 'tuple':
      return { kind: 'tuple', types: d.types.map((t) => toWitType(t, where, budget)) };
    case 'flags':
      return { kind: 'flags', ...name, flags: [...d.names] };
    case 'enum':
      return { kind: 'enum', ...name, cases: [...d.names] };
    case 'option':
      return { kind: 'option', type: toWitType(d.type, where, budget) };
    case 'result': {
      const result: WitType = { kind: 'result' };
      if (d.ok) result.ok = toWitType(d.ok, where, budget);
      if (d.err) result.err = toWitType(d.err, where, budget);
      return result;
    }
    case 'own':
    case 'borrow':
      return { kind: d.t, resource: d.resource.name ?? 'resource' };
    case 'unsupported':
      throw new RuntimeError(
        'invalid-component',
        `${where} uses the type ${d.what}, which wasmactor does not support (no JSON mapping)`,
      );
  }
}
