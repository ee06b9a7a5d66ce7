import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { FIXTURES_BUILD_DIR } from '../../fixtures/build.ts';
import { withPackageDocs } from '../../fixtures/packageDocs.ts';
import { applyPackageDocs, paramDocs } from '../../src/runtime/decode/applyDocs.ts';
import { readPackageDocs, topLevelCustomSections } from '../../src/runtime/decode/customSections.ts';
import { decodeComponent } from '../../src/runtime/decode/index.ts';
import { digestibleBytes } from '../../src/runtime/prepare/digestible.ts';
import type { ExportedFunction } from '../../src/runtime/types.ts';
import { fixture } from '../mcp/helpers.ts';

let documented: Uint8Array;
beforeAll(async () => {
  await fixture('documented', 'counter');
  documented = readFileSync(join(FIXTURES_BUILD_DIR, 'documented.wasm'));
});

describe('package-docs', () => {
  it('is stripped for jco and nothing else changes', () => {
    const stripped = digestibleBytes(documented);
    expect(topLevelCustomSections(stripped).map((s) => s.name)).not.toContain('package-docs');
    const section = topLevelCustomSections(documented).find((s) => s.name === 'package-docs');
    expect(section).toBeDefined();
    const { start = 0, end = 0 } = section ?? {};
    expect(Buffer.from(stripped)).toEqual(
      Buffer.concat([documented.subarray(0, start), documented.subarray(end)]),
    );
    // the types are the same with or without it; only the docs come from it
    const strip = (fns: ExportedFunction[]) =>
      fns.map(({ docs: _, params, ...rest }) => ({ ...rest, params: params.map(({ docs: __, ...p }) => p) }));
    expect(strip(decodeComponent(stripped).functions)).toEqual(strip(decodeComponent(documented).functions));
    expect(decodeComponent(stripped).functions.every((f) => f.docs === undefined)).toBe(true);
  });

  it('a component without the section is left as it is (same bytes object)', () => {
    const counter = readFileSync(join(FIXTURES_BUILD_DIR, 'counter.wasm'));
    expect(digestibleBytes(counter)).toBe(counter);
  });

  it('a section that is not version 0 or not JSON gives no docs and does not fail the load', () => {
    const counter = readFileSync(join(FIXTURES_BUILD_DIR, 'counter.wasm'));
    const bad = withPackageDocs(counter, 'package a:b;\n/// x\nworld w {\n/// d\nexport f: func();\n}\n');
    const section = topLevelCustomSections(bad).find((s) => s.name === 'package-docs');
    expect(readPackageDocs(bad)).toBeDefined();
    bad[section?.payload ?? 0] = 1; // version 1 does not exist
    expect(readPackageDocs(bad)).toBeUndefined();
    bad[section?.payload ?? 0] = 0;
    bad[(section?.payload ?? 0) + 1] = 0x7b + 1; // not JSON any more
    expect(readPackageDocs(bad)).toBeUndefined();
    expect(() => decodeComponent(bad)).not.toThrow();
  });
});

describe('parameter docs', () => {
  it('are read from the usual list forms, only for real parameters', () => {
    const docs = [
      'Does things.',
      '- a: first',
      '* `b` - second',
      '@param c third one',
      '- nope: not a parameter',
      'a: not a list item',
    ].join('\n');
    expect(Object.fromEntries(paramDocs(docs, ['a', 'b', 'c']))).toEqual({
      a: 'first',
      b: 'second',
      c: 'third one',
    });
  });

  it('two exported interfaces with the same local name take no docs (a guess could be wrong)', () => {
    const fns: ExportedFunction[] = [
      { interface: 'local:x/types@1.0.0', name: 'f', params: [] },
      { interface: 'wasi:y/types', name: 'f', params: [] },
      { interface: 'local:x/calc', name: 'g', params: [{ name: 'n', type: { kind: 'u32' } }] },
    ];
    applyPackageDocs(fns, {
      interfaces: { types: { funcs: { f: 'F' } }, calc: { docs: 'Calc.', funcs: { g: 'G.\n- n: count' } } },
    });
    expect(fns[0]?.docs).toBeUndefined();
    expect(fns[1]?.docs).toBeUndefined();
    expect(fns[2]?.docs).toBe('G.\n- n: count\n\nInterface local:x/calc: Calc.');
    expect(fns[2]?.params[0]?.docs).toBe('count');
  });
});
