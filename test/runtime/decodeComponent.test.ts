import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { componentEmbed, componentNew, parse } from '@bytecodealliance/jco';
import { beforeAll, describe, expect, it } from 'vitest';
import { decodeComponent } from '../../src/runtime/decode/decodeComponent.ts';
import { RuntimeError } from '../../src/runtime/RuntimeError.ts';
import type { ComponentTypes, ExportedFunction, WitType } from '../../src/runtime/types.ts';

const s32: WitType = { kind: 's32' };
const string: WitType = { kind: 'string' };

/** Runs `fn` and returns the RuntimeError it throws (fails the test when it throws anything else). */
function thrown(fn: () => unknown): RuntimeError {
  try {
    fn();
  } catch (error) {
    if (error instanceof RuntimeError) return error;
    throw new Error(`expected a RuntimeError, got ${String(error)}`, { cause: error });
  }
  throw new Error('expected decodeComponent to throw');
}

function fn(types: ComponentTypes, iface: string | undefined, name: string): ExportedFunction {
  const found = types.functions.find((f) => f.interface === iface && f.name === name);
  if (!found)
    throw new Error(`no function ${iface ?? '(world)'} ${name} in ${JSON.stringify(types.functions)}`);
  return found;
}

/** A world-level function, an exported interface of a versioned foreign package, and two imports. */
const worldWat = `(component
  (import "wasi:cli/environment@0.2.3" (instance
    (export "get-arguments" (func (result (list string))))))
  (import "local:host/logger" (instance
    (export "log" (func (param "msg" string)))))
  (core module $m
    (func (export "add") (param i32 i32) (result i32) local.get 0 local.get 1 i32.add)
    (func (export "neg") (param i32) (result i32) i32.const 0 local.get 0 i32.sub))
  (core instance $i (instantiate $m))
  (func $add (param "a" s32) (param "b" s32) (result s32) (canon lift (core func $i "add")))
  (func $neg (param "x" s32) (result s32) (canon lift (core func $i "neg")))
  (export "add" (func $add))
  (instance $math (export "negate" (func $neg)))
  (export "local:calc/math@1.2.0" (instance $math)))`;

/** Every value type kind, declared in an imported instance type and re-exported under another name. */
const kindsWat = `(component
  (type $kinds (instance
    (type $point (record (field "x" s32) (field "label-text" string)))
    (export "point" (type $p (eq $point)))
    (type $shape (variant (case "circle" f64) (case "rect" $p) (case "empty")))
    (export "shape" (type $s (eq $shape)))
    (type $color (enum "red" "light-blue"))
    (export "color" (type $c (eq $color)))
    (type $perms (flags "read" "exec-all"))
    (export "perms" (type $f (eq $perms)))
    (export "counter" (type $r (sub resource)))
    (export "prims" (func (param "a" bool) (param "b" s8) (param "c" u8) (param "d" s16) (param "e" u16)
      (param "f" s32) (param "g" u32) (param "h" s64) (param "i" u64) (param "j" f32) (param "k" f64)
      (param "l" char) (result string)))
    (export "lists" (func (param "l" (list string)) (param "t" (tuple u32 string bool)) (result (list $p))))
    (export "named" (func (param "s" $s) (param "c" $c) (param "f" $f) (result $p)))
    (export "options" (func (param "o" (option u32)) (param "oo" (option (option string)))
      (result (result string (error string)))))
    (export "results" (func (param "a" (result)) (param "b" (result u8)) (param "c" (result (error u8)))))
    (export "[constructor]counter" (func (param "start" s64) (result (own $r))))
    (export "[method]counter.add" (func (param "self" (borrow $r)) (param "n" s64) (result s64)))
    (export "[static]counter.zero" (func (result (own $r))))))
  (import "local:kinds/all@0.1.0" (instance $all (type $kinds)))
  (export "local:kinds/echo@0.1.0" (instance $all)))`;

/** A resource defined by the component itself, with lifted constructor and method. */
const resourceWat = `(component
  (core module $m
    (func (export "new") (param i64) (result i32) unreachable)
    (func (export "get") (param i32) (result i64) unreachable))
  (core instance $i (instantiate $m))
  (type $r (resource (rep i32)))
  (export $thing "thing" (type $r))
  (func $new (param "v" s64) (result (own $thing)) (canon lift (core func $i "new")))
  (func $get (param "self" (borrow $thing)) (result s64) (canon lift (core func $i "get")))
  (export "[constructor]thing" (func $new))
  (export "[method]thing.get" (func $get)))`;

/** WIT for a component built the way wit-component builds real ones (shim components, instantiation). */
const kitchenWit = `
package local:shop@2.0.1;
interface cart {
  record item { sku: string, qty: u32 }
  variant change { add(item), remove(string), clear }
  resource basket {
    constructor(owner: string);
    put: func(i: item) -> result<u32, string>;
    merge: static func(a: borrow<basket>, b: own<basket>) -> basket;
  }
  apply: func(c: change) -> list<item>;
}
world shop {
  import wasi:cli/environment@0.2.3;
  export cart;
  export ping: func(n: u8) -> u8;
}
package wasi:cli@0.2.3 { interface environment { get-environment: func() -> list<tuple<string, string>>; } }
`;

let world: Uint8Array;
let kinds: Uint8Array;
let resource: Uint8Array;
let shop: Uint8Array;

beforeAll(async () => {
  world = await parse(worldWat);
  kinds = await parse(kindsWat);
  resource = await parse(resourceWat);
  shop = await componentNew(await componentEmbed({ witSource: kitchenWit, dummy: true, world: 'shop' }));
});

describe('decodeComponent on components built from WAT', () => {
  it('finds a world-level function with its parameter names and types', () => {
    expect(fn(decodeComponent(world), undefined, 'add')).toEqual({
      name: 'add',
      params: [
        { name: 'a', type: s32 },
        { name: 'b', type: s32 },
      ],
      result: s32,
    });
  });

  it('finds functions of an exported interface of a versioned foreign package', () => {
    const types = decodeComponent(world);
    expect(fn(types, 'local:calc/math@1.2.0', 'negate')).toEqual({
      interface: 'local:calc/math@1.2.0',
      name: 'negate',
      params: [{ name: 'x', type: s32 }],
      result: s32,
    });
    expect(types.functions).toHaveLength(2);
  });

  it('lists the full names of all imports, and none of their functions as exports', () => {
    const types = decodeComponent(world);
    expect(types.imports).toEqual(['wasi:cli/environment@0.2.3', 'local:host/logger']);
    expect(types.functions.map((f) => f.name)).not.toContain('log');
  });

  it('decodes every primitive type', () => {
    const prims = fn(decodeComponent(kinds), 'local:kinds/echo@0.1.0', 'prims');
    const kindsInOrder = ['bool', 's8', 'u8', 's16', 'u16', 's32', 'u32', 's64', 'u64', 'f32', 'f64', 'char'];
    expect(prims.params.map((p) => p.type)).toEqual(kindsInOrder.map((kind) => ({ kind })));
    expect(prims.params.map((p) => p.name)).toEqual([
      'a',
      'b',
      'c',
      'd',
      'e',
      'f',
      'g',
      'h',
      'i',
      'j',
      'k',
      'l',
    ]);
    expect(prims.result).toEqual(string);
  });

  it('decodes lists, tuples and named records, variants, enums and flags', () => {
    const types = decodeComponent(kinds);
    const point: WitType = {
      kind: 'record',
      name: 'point',
      fields: [
        { name: 'x', type: s32 },
        { name: 'label-text', type: string },
      ],
    };
    expect(fn(types, 'local:kinds/echo@0.1.0', 'lists')).toEqual({
      interface: 'local:kinds/echo@0.1.0',
      name: 'lists',
      params: [
        { name: 'l', type: { kind: 'list', element: string } },
        { name: 't', type: { kind: 'tuple', types: [{ kind: 'u32' }, string, { kind: 'bool' }] } },
      ],
      result: { kind: 'list', element: point },
    });
    expect(fn(types, 'local:kinds/echo@0.1.0', 'named').params).toEqual([
      {
        name: 's',
        type: {
          kind: 'variant',
          name: 'shape',
          cases: [
            { name: 'circle', type: { kind: 'f64' } },
            { name: 'rect', type: point },
            { name: 'empty' },
          ],
        },
      },
      { name: 'c', type: { kind: 'enum', name: 'color', cases: ['red', 'light-blue'] } },
      { name: 'f', type: { kind: 'flags', name: 'perms', flags: ['read', 'exec-all'] } },
    ]);
    expect(fn(types, 'local:kinds/echo@0.1.0', 'named').result).toEqual(point);
  });

  it('decodes options, nested options and every shape of result', () => {
    const types = decodeComponent(kinds);
    const options = fn(types, 'local:kinds/echo@0.1.0', 'options');
    expect(options.params.map((p) => p.type)).toEqual([
      { kind: 'option', type: { kind: 'u32' } },
      { kind: 'option', type: { kind: 'option', type: string } },
    ]);
    expect(options.result).toEqual({ kind: 'result', ok: string, err: string });
    const results = fn(types, 'local:kinds/echo@0.1.0', 'results');
    expect(results.params.map((p) => p.type)).toEqual([
      { kind: 'result' },
      { kind: 'result', ok: { kind: 'u8' } },
      { kind: 'result', err: { kind: 'u8' } },
    ]);
    expect(results.result).toBeUndefined();
    expect('result' in results).toBe(false);
  });

  it('keeps resource function names and names own/borrow after the resource export', () => {
    const types = decodeComponent(kinds);
    const iface = 'local:kinds/echo@0.1.0';
    expect(fn(types, iface, '[constructor]counter')).toMatchObject({
      params: [{ name: 'start', type: { kind: 's64' } }],
      result: { kind: 'own', resource: 'counter' },
    });
    expect(fn(types, iface, '[method]counter.add').params[0]).toEqual({
      name: 'self',
      type: { kind: 'borrow', resource: 'counter' },
    });
    expect(fn(types, iface, '[static]counter.zero').result).toEqual({ kind: 'own', resource: 'counter' });
    expect(types.imports).toEqual(['local:kinds/all@0.1.0']);
  });

  it('names a resource that the component defines and exports itself', () => {
    const types = decodeComponent(resource);
    expect(types.functions).toEqual([
      {
        name: '[constructor]thing',
        params: [{ name: 'v', type: { kind: 's64' } }],
        result: { kind: 'own', resource: 'thing' },
      },
      {
        name: '[method]thing.get',
        params: [{ name: 'self', type: { kind: 'borrow', resource: 'thing' } }],
        result: { kind: 's64' },
      },
    ]);
    expect(types.imports).toEqual([]);
  });
});

describe('decodeComponent on a component built by wit-component (nested shim component, instantiation)', () => {
  it('follows the instance created by instantiating a nested component, resources substituted', () => {
    const types = decodeComponent(shop);
    const iface = 'local:shop/cart@2.0.1';
    const item: WitType = {
      kind: 'record',
      name: 'item',
      fields: [
        { name: 'sku', type: string },
        { name: 'qty', type: { kind: 'u32' } },
      ],
    };
    expect(fn(types, iface, 'apply')).toEqual({
      interface: iface,
      name: 'apply',
      params: [
        {
          name: 'c',
          type: {
            kind: 'variant',
            name: 'change',
            cases: [{ name: 'add', type: item }, { name: 'remove', type: string }, { name: 'clear' }],
          },
        },
      ],
      result: { kind: 'list', element: item },
    });
    expect(fn(types, iface, '[method]basket.put')).toMatchObject({
      params: [
        { name: 'self', type: { kind: 'borrow', resource: 'basket' } },
        { name: 'i', type: item },
      ],
      result: { kind: 'result', ok: { kind: 'u32' }, err: string },
    });
    expect(fn(types, iface, '[static]basket.merge')).toMatchObject({
      params: [
        { name: 'a', type: { kind: 'borrow', resource: 'basket' } },
        { name: 'b', type: { kind: 'own', resource: 'basket' } },
      ],
      result: { kind: 'own', resource: 'basket' },
    });
    expect(fn(types, iface, '[constructor]basket').params).toEqual([{ name: 'owner', type: string }]);
    expect(fn(types, undefined, 'ping')).toEqual({
      name: 'ping',
      params: [{ name: 'n', type: { kind: 'u8' } }],
      result: { kind: 'u8' },
    });
    expect(types.functions).toHaveLength(5);
    expect(types.imports).toEqual(['wasi:cli/environment@0.2.3']);
  });
});

describe('decodeComponent errors', () => {
  const text = (s: string) => new TextEncoder().encode(s);

  it('says an empty file is empty and that a component was expected', () => {
    const error = thrown(() => decodeComponent(new Uint8Array()));
    expect(error.code).toBe('not-wasm');
    expect(error.message).toMatch(/is empty/);
    expect(error.message).toMatch(/\\0asm.*layer 1/);
  });

  it('names a well-known format of a non-wasm file, and never shows its bytes', () => {
    const pdf = thrown(() => decodeComponent(text('%PDF-1.7\n...')));
    expect(pdf.code).toBe('not-wasm');
    expect(pdf.message).toMatch(
      /does not start with the magic bytes '\\0asm' \(it looks like a PDF document\)/,
    );
    expect(pdf.message).not.toContain('%PDF');
    const png = thrown(() =>
      decodeComponent(new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])),
    );
    expect(png.code).toBe('not-wasm');
    expect(png.message).toContain('a PNG image');
    const secret = thrown(() => decodeComponent(text('root:$6$s3cr3tHash:19000:0:99999:7:::')));
    expect(secret.message).toMatch(/not WebAssembly.*component/);
    expect(secret.message).not.toMatch(/root|s3cr|\$6/);
  });

  it('recognises a core module and says how to make it a component', async () => {
    const error = thrown(() => decodeComponent(core));
    expect(error.code).toBe('core-module');
    expect(error.message).toMatch(/core WebAssembly module, not a component/);
    expect(error.message).toContain('wasm-tools component new');
    expect(error.message).toContain('jco componentize');
  });
  let core: Uint8Array;
  beforeAll(async () => {
    core = await parse('(module (func (export "f")))');
  });

  it('rejects an unknown component binary version', () => {
    const error = thrown(() => decodeComponent(new Uint8Array([0, 0x61, 0x73, 0x6d, 0x0e, 0, 1, 0])));
    expect(error.code).toBe('invalid-component');
    expect(error.message).toMatch(/version 0xe/);
  });

  const header = [0, 0x61, 0x73, 0x6d, 0x0d, 0, 1, 0];
  const decodeBytes = (...bytes: number[]) => decodeComponent(new Uint8Array([...header, ...bytes]));

  it('decodes an empty component', () => {
    expect(decodeBytes()).toEqual({ functions: [], imports: [] });
  });

  it('names the section and offset of an unknown section id', () => {
    const error = thrown(() => decodeBytes(0x0d, 0x00));
    expect(error.code).toBe('invalid-component');
    expect(error.message).toMatch(/unknown section id 13 at offset 8/);
  });

  it('names the section and offset of an unknown type opcode', () => {
    const error = thrown(() => decodeBytes(0x07, 0x02, 0x01, 0x3a));
    expect(error.code).toBe('invalid-component');
    expect(error.message).toMatch(
      /unknown type definition 0x3a at offset 11 \(type section \(id 7\) at offset 8\)/,
    );
  });

  it('treats content that overruns its section (in the middle of the file) as invalid, not truncated', () => {
    // A type section of 2 bytes holding `(list <missing>)`, followed by an empty custom section.
    const error = thrown(() => decodeBytes(0x07, 0x02, 0x01, 0x70, 0x00, 0x02, 0x01, 0x61));
    expect(error.code).toBe('invalid-component');
    expect(error.message).toMatch(/runs past the end/);
  });

  it('rejects an over-long LEB128 number', () => {
    const error = thrown(() => decodeBytes(0x00, 0xff, 0xff, 0xff, 0xff, 0x7f));
    expect(error.code).toBe('invalid-component');
    expect(error.message).toMatch(/does not fit in 32 bits/);
  });

  it('rejects an out-of-range type index and a name that is not UTF-8', () => {
    // (type (list <type 5>)) with no type 5.
    expect(thrown(() => decodeBytes(0x07, 0x03, 0x01, 0x70, 0x05)).message).toMatch(
      /type index 5 is out of range/,
    );
    // (import "\xff" (func (type 0))) with no type 0.
    const error = thrown(() => decodeBytes(0x0a, 0x06, 0x01, 0x00, 0x01, 0xff, 0x01, 0x00));
    expect(error.code).toBe('invalid-component');
    expect(error.message).toMatch(/not valid UTF-8/);
  });

  /** A component whose imported function `f` (re-exported as `g`) takes a chain of `depth` types. */
  function chain(depth: number, link: (previous: number[]) => number[]): Uint8Array {
    const leb = (n: number): number[] => (n < 0x80 ? [n] : [(n & 0x7f) | 0x80, ...leb(Math.floor(n / 128))]);
    const section = (id: number, body: number[]) => [id, ...leb(body.length), ...body];
    const types: number[] = [0x79]; // u32, then each type refers to the one before it
    for (let i = 1; i < depth; i++) types.push(...link(leb(i - 1)));
    const typeBodies = [0x70, 0x79, ...types.slice(1)];
    const func = [0x40, 0x01, 0x01, 0x76, ...leb(depth - 1), 0x01, 0x00];
    return new Uint8Array([
      ...header,
      ...section(7, [...leb(depth + 1), ...typeBodies, ...func]),
      ...section(10, [0x01, 0x00, 0x01, 0x66, 0x01, ...leb(depth)]),
      ...section(11, [0x01, 0x00, 0x01, 0x67, 0x01, 0x00, 0x00]),
    ]);
  }

  it('decodes a chain of nested types up to 100 levels, and names the limit past it', () => {
    const shallow = decodeComponent(chain(3, (previous) => [0x70, ...previous]));
    expect(shallow.functions.map((f) => f.name)).toEqual(['g']);
    expect(shallow.functions[0]?.params[0]?.type).toEqual({
      kind: 'list',
      element: { kind: 'list', element: { kind: 'list', element: { kind: 'u32' } } },
    });
    // chain(n) nests n + 1 levels: list<...list<u32>>
    expect(decodeComponent(chain(99, (previous) => [0x70, ...previous])).functions).toHaveLength(1);
    for (const depth of [100, 5000, 300_000]) {
      const error = thrown(() => decodeComponent(chain(depth, (previous) => [0x6b, ...previous])));
      expect(error.code).toBe('invalid-component');
      expect(error.message).toMatch(
        /a value type nests more than 100 levels deep \(wasmactor's limit on nesting\) at offset \d+ \(type section/,
      );
    }
  });

  it('names the limit for components and instance types nested more than 100 deep', () => {
    const leb = (n: number): number[] => (n < 0x80 ? [n] : [(n & 0x7f) | 0x80, ...leb(Math.floor(n / 128))]);
    // (type (instance (type (instance ... (type (instance)) ...))))
    const nested = (depth: number) => {
      const body = [0x01, ...Array.from({ length: depth }, () => [0x42, 0x01, 0x01]).flat(), 0x42, 0x00];
      return new Uint8Array([...header, 0x07, ...leb(body.length), ...body]);
    };
    expect(decodeComponent(nested(99))).toEqual({ functions: [], imports: [] });
    for (const depth of [100, 5000]) {
      const error = thrown(() => decodeComponent(nested(depth)));
      expect(error.code).toBe('invalid-component');
      expect(error.message).toMatch(/an instance type nests more than 100 levels deep/);
    }
  });

  it('rejects types that expand exponentially', () => {
    // Each type is tuple<previous, previous>: 60 levels expand to 2^60 nodes.
    const error = thrown(() =>
      decodeComponent(chain(60, (previous) => [0x6f, 0x02, ...previous, ...previous])),
    );
    expect(error.code).toBe('invalid-component');
    expect(error.message).toMatch(/too many nodes/);
  });

  it('reports a file cut in the middle of a section as truncated, saying where', () => {
    const error = thrown(() => decodeComponent(world.subarray(0, world.length - 3)));
    expect(error.code).toBe('truncated');
    expect(error.message).toMatch(new RegExp(`ends at offset ${world.length - 3}`));
    expect(error.message).toMatch(/section \(id \d+\) at offset \d+/);
  });

  it('decodes or throws `truncated` for every prefix of a component, never anything else', () => {
    for (const bytes of [world, kinds, resource, shop]) {
      let truncated = 0;
      for (let length = 1; length < bytes.length; length++) {
        try {
          decodeComponent(bytes.subarray(0, length));
        } catch (error) {
          expect(error, `prefix of ${length} bytes`).toBeInstanceOf(RuntimeError);
          expect((error as RuntimeError).code, `prefix of ${length} bytes: ${error}`).toBe('truncated');
          truncated++;
        }
      }
      // Most prefixes end inside a section; the 1..7-byte ones end inside the header.
      expect(truncated).toBeGreaterThan(bytes.length / 2);
    }
  });

  it('throws only RuntimeErrors with decoding codes for corrupted bytes', () => {
    const codes = new Set(['truncated', 'invalid-component', 'not-wasm', 'core-module']);
    for (const bytes of [world, kinds]) {
      for (let at = 0; at < bytes.length; at++) {
        for (const value of [0x00, 0x01, 0x7f, 0x80, 0xff]) {
          const copy = bytes.slice();
          copy[at] = value;
          try {
            decodeComponent(copy);
          } catch (error) {
            expect(error, `byte ${at} = ${value}: ${error}`).toBeInstanceOf(RuntimeError);
            expect(codes.has((error as RuntimeError).code)).toBe(true);
          }
        }
      }
    }
  });
});

const fixtureFile = (name: string) =>
  fileURLToPath(new URL(`../../fixtures/build/${name}.wasm`, import.meta.url));

/** Reads a built fixture; `npm test` builds them first (`npm run build:fixtures`). */
function fixture(name: string): Uint8Array {
  const file = fixtureFile(name);
  if (!existsSync(file)) throw new Error(`fixture ${file} is missing: run \`npm run build:fixtures\``);
  return readFileSync(file);
}

describe('decodeComponent on the built fixtures', () => {
  const point: WitType = {
    kind: 'record',
    name: 'point',
    fields: [
      { name: 'x', type: s32 },
      { name: 'y', type: s32 },
      { name: 'label-text', type: string },
    ],
  };
  const echoes: [string, WitType][] = [
    ...(
      ['bool', 's8', 'u8', 's16', 'u16', 's32', 'u32', 's64', 'u64', 'f32', 'f64', 'char', 'string'] as const
    ).map((kind): [string, WitType] => [`echo-${kind}`, { kind } as WitType]),
    ['echo-list', { kind: 'list', element: string }],
    ['echo-bytes', { kind: 'list', element: { kind: 'u8' } }],
    ['echo-record', point],
    ['echo-tuple', { kind: 'tuple', types: [{ kind: 'u32' }, string, { kind: 'bool' }] }],
    [
      'echo-variant',
      {
        kind: 'variant',
        name: 'shape',
        cases: [{ name: 'circle', type: { kind: 'f64' } }, { name: 'rect', type: point }, { name: 'empty' }],
      },
    ],
    ['echo-enum', { kind: 'enum', name: 'color', cases: ['red', 'green', 'light-blue'] }],
    ['echo-flags', { kind: 'flags', name: 'perms', flags: ['read', 'write', 'exec-all'] }],
    ['echo-option', { kind: 'option', type: { kind: 'u32' } }],
    ['echo-nested-option', { kind: 'option', type: { kind: 'option', type: string } }],
    ['echo-list-record', { kind: 'list', element: point }],
  ];

  it('kitchen-sink: every echo function at world level and in local:kitchen/types, with exact types', () => {
    const types = decodeComponent(fixture('kitchen-sink'));
    for (const iface of [undefined, 'local:kitchen/types']) {
      for (const [name, type] of echoes) {
        expect(fn(types, iface, name), `${iface} ${name}`).toEqual({
          ...(iface && { interface: iface }),
          name,
          params: [{ name: 'v', type }],
          result: type,
        });
      }
      expect(fn(types, iface, 'echo-result')).toMatchObject({
        params: [
          { name: 'v', type: string },
          { name: 'fail', type: { kind: 'bool' } },
        ],
        result: { kind: 'result', ok: string, err: string },
      });
      expect(fn(types, iface, 'echo-result-empty')).toMatchObject({
        params: [{ name: 'fail', type: { kind: 'bool' } }],
        result: { kind: 'result' },
      });
    }
  });

  it('kitchen-sink: the accumulator resource functions', () => {
    const types = decodeComponent(fixture('kitchen-sink'));
    const iface = 'local:kitchen/types';
    const handle = (kind: 'own' | 'borrow'): WitType => ({ kind, resource: 'accumulator' });
    expect(fn(types, iface, '[constructor]accumulator')).toEqual({
      interface: iface,
      name: '[constructor]accumulator',
      params: [{ name: 'start', type: { kind: 's64' } }],
      result: handle('own'),
    });
    expect(fn(types, iface, '[method]accumulator.add')).toEqual({
      interface: iface,
      name: '[method]accumulator.add',
      params: [
        { name: 'self', type: handle('borrow') },
        { name: 'n', type: { kind: 's64' } },
      ],
      result: { kind: 's64' },
    });
    expect(fn(types, iface, '[method]accumulator.total').params).toEqual([
      { name: 'self', type: handle('borrow') },
    ]);
  });

  it('kitchen-sink (about 12 MiB) decodes in well under a second', () => {
    const bytes = fixture('kitchen-sink');
    const start = performance.now();
    decodeComponent(bytes);
    expect(performance.now() - start).toBeLessThan(500);
  });

  it('versioned: the interface of a versioned package keeps its version in the name', () => {
    const types = decodeComponent(fixture('versioned'));
    expect(fn(types, 'local:calc/math@1.2.0', 'add')).toEqual({
      interface: 'local:calc/math@1.2.0',
      name: 'add',
      params: [
        { name: 'a', type: s32 },
        { name: 'b', type: s32 },
      ],
      result: s32,
    });
  });

  it('host-import: lists the host interface among the imports', () => {
    expect(decodeComponent(fixture('host-import')).imports).toContain('local:host/logger');
  });
});
