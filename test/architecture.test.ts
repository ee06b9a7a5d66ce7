/**
 * The shape of src/, read from its import statements: no import cycle, imports only downwards through the
 * layers (runtime, machines, inspector, mcp, then cli.ts), through each layer's and sub-folder's
 * `index.ts` face, nothing from outside src/ and no package missing from `dependencies`, the runtime
 * never importing policy/ (policy/ sits beside it, on its types), at most 16 files a folder and 450 lines
 * a file. Every violation is listed with its file (and line, for an import).
 *
 * The checker reads text with regular expressions (no compiler): `import ... from '...'`,
 * `export ... from '...'`, `import '...'` at the start of a line and `import('...')` with a literal
 * specifier. A relative specifier that resolves to no file is itself a violation, so an import the
 * expressions misread shows up instead of dropping out of the graph.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { join, posix, relative, sep } from 'node:path';
import { describe, expect, it } from 'vitest';

/** Lowest first: a file may import from its own layer or a lower one. `cli.ts` is a file, not a folder. */
const LAYERS = ['runtime', 'machines', 'inspector', 'mcp', 'cli.ts'] as const;
/** Folders beside their layer's core: their `index.ts` is a face of the layer, the layer never imports them. */
const SIDE_FOLDERS = ['runtime/policy'];
/** Packages a layer must not import (the runtime knows neither XState nor MCP; only mcp/ speaks MCP). */
const BANNED_PACKAGES: Record<string, RegExp> = {
  runtime: /^(xstate|@modelcontextprotocol\/)/,
  machines: /^@modelcontextprotocol\//,
  inspector: /^@modelcontextprotocol\//,
};
const MAX_FILES_PER_FOLDER = 16;
const MAX_LINES = 450;
const SOURCE = /\.(ts|mts|cts|js|mjs|cjs)$/;

/** The rules, each with the violations found (empty when the rule holds). */
interface Shape {
  cycles: string[];
  upward: string[];
  deepImports: string[];
  policyImports: string[];
  outsideSrc: string[];
  unresolved: string[];
  packages: string[];
  noLayer: string[];
  crowdedFolders: string[];
  longFiles: string[];
}

interface Edge {
  from: string;
  to: string;
  line: number;
}

/** The module specifiers of `text`, with their line numbers. */
function importsOf(text: string): { specifier: string; line: number }[] {
  const patterns = [
    /^[ \t]*(?:import|export)\s[^'";]*?\bfrom\s*['"]([^'"\n]+)['"]/gm,
    /^[ \t]*import\s*['"]([^'"\n]+)['"]/gm,
    /\bimport\(\s*['"]([^'"\n]+)['"]\s*\)/g,
  ];
  const found: { specifier: string; line: number; at: number }[] = [];
  for (const pattern of patterns) {
    for (const m of text.matchAll(pattern)) {
      const at = (m.index ?? 0) + m[0].lastIndexOf(m[1] as string);
      found.push({ specifier: m[1] as string, at, line: text.slice(0, at).split('\n').length });
    }
  }
  return found.sort((a, b) => a.at - b.at).map(({ specifier, line }) => ({ specifier, line }));
}

/** `runtime`, `machines`... for a file, or undefined when it is in no layer. */
function layerOf(file: string): (typeof LAYERS)[number] | undefined {
  const top = file.split('/')[0] as string;
  if (file === 'cli.ts') return 'cli.ts';
  return LAYERS.find((l) => l === top && file.includes('/'));
}

/** The folder whose `index.ts` is the file's face: `runtime/decode` for `runtime/decode/x.ts`, else the layer. */
function unitOf(file: string): string {
  const parts = file.split('/');
  return parts.length >= 3 ? parts.slice(0, 2).join('/') : (parts[0] as string);
}

function lineCount(text: string): number {
  if (text === '') return 0;
  return text.split('\n').length - (text.endsWith('\n') ? 1 : 0);
}

/** The file in src/ a relative specifier names (`.js` may stand for `.ts`), 'outside', or undefined. */
function resolveImport(files: Map<string, string>, from: string, specifier: string): string | undefined {
  const joined = posix.normalize(posix.join(posix.dirname(from), specifier));
  if (joined === '..' || joined.startsWith('../')) return 'outside';
  const candidates = [joined, joined.replace(/\.js$/, '.ts'), `${joined}.ts`, `${joined}/index.ts`];
  return candidates.find((c) => files.has(c));
}

/** Why `edge` breaks the layering, if it does. */
function layerViolation(
  edge: Edge,
): { rule: 'upward' | 'deepImports' | 'policyImports'; text: string } | undefined {
  const { from, to } = edge;
  const at = `${from}:${edge.line} imports ${to}`;
  const fromLayer = layerOf(from);
  const toLayer = layerOf(to);
  if (!fromLayer || !toLayer) return undefined;
  if (LAYERS.indexOf(toLayer) > LAYERS.indexOf(fromLayer)) {
    return { rule: 'upward', text: `${at}: ${fromLayer} is below ${toLayer}` };
  }
  const side = SIDE_FOLDERS.find((s) => to.startsWith(`${s}/`));
  if (side && fromLayer === toLayer && !from.startsWith(`${side}/`)) {
    return { rule: 'policyImports', text: `${at}: ${side}/ depends on ${fromLayer}/, never the other way` };
  }
  if (fromLayer !== toLayer) {
    const faces = [
      `${toLayer}/index.ts`,
      // The entry point loads the commands' face alone, so `tools` and `call` never load the MCP server.
      ...(from === 'cli.ts' && toLayer === 'mcp' ? ['mcp/commands/index.ts'] : []),
      ...SIDE_FOLDERS.filter((s) => s.startsWith(`${toLayer}/`)).map((s) => `${s}/index.ts`),
    ];
    if (!faces.includes(to)) return { rule: 'deepImports', text: `${at}: use ${faces.join(' or ')}` };
    return undefined;
  }
  const unit = unitOf(to);
  if (unit !== toLayer && unit !== unitOf(from) && to !== `${unit}/index.ts`) {
    return { rule: 'deepImports', text: `${at}: use ${unit}/index.ts` };
  }
  return undefined;
}

/** One shortest cycle through `start` inside `members`, as `a -> b -> a`. */
function cycleThrough(start: string, members: Set<string>, graph: Map<string, Edge[]>): string {
  const previous = new Map<string, string>();
  const queue = [start];
  for (let i = 0; i < queue.length; i++) {
    const node = queue[i] as string;
    for (const { to } of graph.get(node) ?? []) {
      if (!members.has(to)) continue;
      if (to === start) {
        const path = [start];
        for (let n: string | undefined = node; n !== undefined && n !== start; n = previous.get(n))
          path.splice(1, 0, n);
        return [...path, start].join(' -> ');
      }
      if (!previous.has(to)) {
        previous.set(to, node);
        queue.push(to);
      }
    }
  }
  return start;
}

/** Strongly connected components of more than one file (or a file importing itself), by Tarjan. */
function findCycles(graph: Map<string, Edge[]>): string[] {
  let next = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const cycles: string[] = [];
  const visit = (v: string) => {
    index.set(v, next);
    low.set(v, next++);
    stack.push(v);
    for (const { to } of graph.get(v) ?? []) {
      if (!index.has(to)) {
        visit(to);
        low.set(v, Math.min(low.get(v) as number, low.get(to) as number));
      } else if (stack.includes(to)) low.set(v, Math.min(low.get(v) as number, index.get(to) as number));
    }
    if (low.get(v) !== index.get(v)) return;
    const members = new Set<string>();
    for (let w = stack.pop(); w !== undefined; w = w === v ? undefined : stack.pop()) members.add(w);
    const selfLoop = (graph.get(v) ?? []).some((e) => e.to === v);
    if (members.size > 1 || selfLoop) {
      const first = [...members].sort()[0] as string;
      cycles.push(
        `${cycleThrough(first, members, graph)} (${members.size} files: ${[...members].sort().join(', ')})`,
      );
    }
  };
  for (const v of [...graph.keys()].sort()) if (!index.has(v)) visit(v);
  return cycles;
}

/** Why a package import breaks the rules, if it does. */
function packageViolations(
  specifier: string,
  layer: string | undefined,
  dependencies: Set<string>,
): string[] {
  const name = specifier
    .split('/')
    .slice(0, specifier.startsWith('@') ? 2 : 1)
    .join('/');
  const found: string[] = [];
  const builtin = specifier.startsWith('node:') || builtinModules.includes(name);
  if (!builtin && !dependencies.has(name)) found.push(`"${name}" is not in package.json's dependencies`);
  if (layer && BANNED_PACKAGES[layer]?.test(specifier)) found.push(`${layer}/ must not use it`);
  return found;
}

/**
 * Dev dependencies a src/ file may import, on the path that runs only from src/ in a checkout: the
 * instance worker bundled at run time (esbuild), or tsx registered in a worker should that fail. The
 * published dist/ carries the bundle made at build time (test/firstrun/pack.test.ts runs it without them).
 */
const DEV_ONLY_IMPORTS: Record<string, string[]> = {
  'runtime/worker/entry.ts': ['esbuild'],
  'runtime/worker/instanceWorker.boot.js': ['tsx/esm/api'],
};

/** Records what is wrong with one file's imports in `shape`; returns its edges to files in src/. */
function checkImports(
  files: Map<string, string>,
  file: string,
  shape: Shape,
  dependencies: Set<string>,
): Edge[] {
  const edges: Edge[] = [];
  for (const { specifier, line } of importsOf(files.get(file) ?? '')) {
    const at = `${file}:${line} imports '${specifier}'`;
    if (specifier.startsWith('.')) {
      const target = resolveImport(files, file, specifier);
      if (target === 'outside') shape.outsideSrc.push(`${at}, which is outside src/`);
      else if (target) edges.push({ from: file, to: target, line });
      else shape.unresolved.push(`${at}, which names no file in src/`);
    } else if (specifier.startsWith('/') || specifier.startsWith('file:')) {
      shape.outsideSrc.push(`${at}, an absolute path`);
    } else if (!DEV_ONLY_IMPORTS[file]?.includes(specifier)) {
      for (const why of packageViolations(specifier, layerOf(file), dependencies))
        shape.packages.push(`${at}: ${why}`);
    }
  }
  for (const edge of edges) {
    const violation = layerViolation(edge);
    if (violation) shape[violation.rule].push(violation.text);
  }
  return edges;
}

/** Checks a tree of files (paths relative to src/, `/`-separated) against every rule. */
function checkShape(files: Map<string, string>, dependencies: Set<string>): Shape {
  const shape: Shape = {
    cycles: [],
    upward: [],
    deepImports: [],
    policyImports: [],
    outsideSrc: [],
    unresolved: [],
    packages: [],
    noLayer: [],
    crowdedFolders: [],
    longFiles: [],
  };
  const graph = new Map<string, Edge[]>();
  const perFolder = new Map<string, number>();
  for (const [file, text] of files) {
    const folder = posix.dirname(file);
    perFolder.set(folder, (perFolder.get(folder) ?? 0) + 1);
    if (!SOURCE.test(file)) continue;
    const lines = lineCount(text);
    if (lines > MAX_LINES) shape.longFiles.push(`${file}: ${lines} lines (at most ${MAX_LINES})`);
    if (!layerOf(file)) shape.noLayer.push(`${file} is in no layer; put it in one of ${LAYERS.join(', ')}`);
    graph.set(file, checkImports(files, file, shape, dependencies));
  }
  for (const [folder, count] of perFolder) {
    if (count > MAX_FILES_PER_FOLDER) {
      shape.crowdedFolders.push(`${folder}/ has ${count} files (at most ${MAX_FILES_PER_FOLDER})`);
    }
  }
  shape.cycles = findCycles(graph);
  return shape;
}

/** Every file under `dir`, by path relative to it with `/` separators. */
function readTree(dir: string): Map<string, string> {
  const files = new Map<string, string>();
  const walk = (d: string) => {
    for (const entry of readdirSync(d, { withFileTypes: true })) {
      const path = join(d, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.isFile())
        files.set(relative(dir, path).split(sep).join('/'), readFileSync(path, 'utf8'));
    }
  };
  walk(dir);
  return files;
}

const root = join(import.meta.dirname, '..');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
  dependencies?: Record<string, string>;
};
const dependencies = new Set(Object.keys(pkg.dependencies ?? {}));

describe('the shape of src/', () => {
  const files = readTree(join(root, 'src'));
  const shape = checkShape(files, dependencies);

  it('reads the imports of every file', () => {
    expect(files.size).toBeGreaterThan(20);
    expect(importsOf(files.get('runtime/index.ts') ?? '').length).toBeGreaterThan(5);
    expect(shape.unresolved).toEqual([]);
    expect(shape.noLayer).toEqual([]);
  });
  it('has no import cycle', () => expect(shape.cycles).toEqual([]));
  it('imports only from its own layer or a lower one', () => expect(shape.upward).toEqual([]));
  it("imports another layer's or sub-folder's files only through its index.ts", () =>
    expect(shape.deepImports).toEqual([]));
  it('keeps runtime/ free of policy/', () => expect(shape.policyImports).toEqual([]));
  it('imports nothing from outside src/', () => expect(shape.outsideSrc).toEqual([]));
  it("imports only node's modules and packages in dependencies, none a layer must not know", () =>
    expect(shape.packages).toEqual([]));
  it(`has at most ${MAX_FILES_PER_FOLDER} files a folder`, () => expect(shape.crowdedFolders).toEqual([]));
  it(`has at most ${MAX_LINES} lines a file`, () => expect(shape.longFiles).toEqual([]));
});

describe('the shape checker', () => {
  /** A tree that keeps every rule; each test below breaks one. */
  const good = (): Map<string, string> =>
    new Map([
      ['cli.ts', "import { x } from './mcp/index.ts';\nimport { p } from './runtime/policy/index.ts';\n"],
      ['mcp/index.ts', "export { x } from './x.ts';\n"],
      [
        'mcp/x.ts',
        "import type {\n  M,\n} from '../machines/index.ts';\nimport { z } from 'zod';\nexport const x = 1;\n",
      ],
      ['machines/index.ts', "import { r } from '../runtime/index.ts';\nimport { setup } from 'xstate';\n"],
      ['runtime/index.ts', "export { d } from './decode/index.ts';\nexport type * from './types.ts';\n"],
      ['runtime/types.ts', 'export type T = 1;\n'],
      ['runtime/decode/index.ts', "export { d } from './d.ts';\n"],
      [
        'runtime/decode/d.ts',
        "import type { T } from '../types.ts';\nimport { readFile } from 'node:fs/promises';\n",
      ],
      [
        'runtime/policy/index.ts',
        "import { d } from '../decode/index.ts';\nimport type { T } from '../types.ts';\n",
      ],
      ['runtime/worker/boot.js', "await import('./entry.ts');\n"],
      ['runtime/worker/entry.ts', '/** loads lazily: */\nconst y = await import("../decode/index.ts");\n'],
    ]);
  const check = (change: (files: Map<string, string>) => void) => {
    const files = good();
    change(files);
    return checkShape(files, new Set(['zod', 'xstate']));
  };
  const broken = (shape: Shape) => Object.entries(shape).filter(([, list]) => list.length > 0);

  it('passes a tree that keeps the rules', () => expect(broken(check(() => {}))).toEqual([]));
  it('finds a cycle, through an export or a dynamic import', () => {
    const shape = check((f) => f.set('runtime/types.ts', "export type { d } from './decode/index.ts';\n"));
    expect(shape.cycles).toEqual([
      'runtime/decode/d.ts -> runtime/types.ts -> runtime/decode/index.ts -> runtime/decode/d.ts ' +
        '(3 files: runtime/decode/d.ts, runtime/decode/index.ts, runtime/types.ts)',
    ]);
    const dynamic = check((f) =>
      f.set('runtime/decode/d.ts', "const w = await import('../worker/entry.ts');\n"),
    );
    expect(dynamic.cycles).toHaveLength(1);
    expect(dynamic.deepImports).toEqual([
      'runtime/decode/d.ts:1 imports runtime/worker/entry.ts: use runtime/worker/index.ts',
    ]);
  });
  it('finds an upward import', () => {
    const shape = check((f) => f.set('runtime/types.ts', "import type { M } from '../machines/index.ts';\n"));
    expect(shape.upward).toEqual(['runtime/types.ts:1 imports machines/index.ts: runtime is below machines']);
    expect(check((f) => f.set('mcp/y.ts', "import '../cli.ts';\n")).upward).toHaveLength(1);
  });
  it("finds an import past another layer's or sub-folder's index.ts", () => {
    expect(
      check((f) => f.set('mcp/y.ts', "import { d } from '../runtime/decode/index.ts';\n")).deepImports,
    ).toEqual([
      'mcp/y.ts:1 imports runtime/decode/index.ts: use runtime/index.ts or runtime/policy/index.ts',
    ]);
    expect(
      check((f) => f.set('mcp/y.ts', "import type { T } from '../runtime/types.ts';\n")).deepImports,
    ).toHaveLength(1);
    expect(
      check((f) => f.set('runtime/policy/p.ts', "import { d } from '../decode/d.ts';\n")).deepImports,
    ).toEqual(['runtime/policy/p.ts:1 imports runtime/decode/d.ts: use runtime/decode/index.ts']);
  });
  it('finds the runtime importing policy/', () => {
    const shape = check((f) => f.set('runtime/decode/d.ts', "import { p } from '../policy/index.ts';\n"));
    expect(shape.policyImports).toEqual([
      'runtime/decode/d.ts:1 imports runtime/policy/index.ts: runtime/policy/ depends on runtime/, never the other way',
    ]);
  });
  it('finds an import from outside src/, an unresolved one and a package that is not a dependency', () => {
    const shape = check((f) =>
      f.set(
        'mcp/y.ts',
        "const b = await import('../../examples/build.ts');\nimport '../nowhere.ts';\nimport 'vitest';\n",
      ),
    );
    expect(shape.outsideSrc).toEqual(["mcp/y.ts:1 imports '../../examples/build.ts', which is outside src/"]);
    expect(shape.unresolved).toEqual(["mcp/y.ts:2 imports '../nowhere.ts', which names no file in src/"]);
    expect(shape.packages).toEqual([
      "mcp/y.ts:3 imports 'vitest': \"vitest\" is not in package.json's dependencies",
    ]);
    expect(check((f) => f.set('runtime/types.ts', "import { setup } from 'xstate';\n")).packages).toEqual([
      "runtime/types.ts:1 imports 'xstate': runtime/ must not use it",
    ]);
  });
  it('finds a file in no layer, a crowded folder and a long file', () => {
    const shape = check((f) => {
      f.set('log.ts', 'export const log = 1;\n');
      for (let i = 0; i < 17; i++) f.set(`mcp/f${i}.ts`, '');
      f.set('mcp/x.ts', 'export const x = 1;\n'.repeat(MAX_LINES + 1));
    });
    expect(shape.noLayer).toEqual([`log.ts is in no layer; put it in one of ${LAYERS.join(', ')}`]);
    expect(shape.crowdedFolders).toEqual([`mcp/ has 19 files (at most ${MAX_FILES_PER_FOLDER})`]);
    expect(shape.longFiles).toEqual([`mcp/x.ts: ${MAX_LINES + 1} lines (at most ${MAX_LINES})`]);
  });
});
