/**
 * The shape of the MCP layer, read from the import statements: nothing under src/ imports a dev script
 * (examples/, fixtures/, bench/, test/), and the files of src/mcp import each other without a cycle.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const SRC = resolve(import.meta.dirname, '../../src');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory()
      ? sourceFiles(join(dir, entry.name))
      : entry.name.endsWith('.ts')
        ? [join(dir, entry.name)]
        : [],
  );
}

/** The relative imports of a file (static, `export ... from` and dynamic), as absolute paths. */
function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const found = text.matchAll(
    /(?:import|export)\s[^'"]*?from\s+['"](\.{1,2}\/[^'"]+)['"]|import\(\s*['"](\.{1,2}\/[^'"]+)['"]\s*\)/g,
  );
  return [...found].map((m) => resolve(dirname(file), (m[1] ?? m[2]) as string));
}

/** The files of one cycle among `files`, or undefined when there is none. */
function findCycle(files: string[]): string[] | undefined {
  const state = new Map<string, 'open' | 'done'>();
  const path: string[] = [];
  const visit = (file: string): string[] | undefined => {
    if (state.get(file) === 'done') return undefined;
    if (state.get(file) === 'open') return path.slice(path.indexOf(file));
    state.set(file, 'open');
    path.push(file);
    for (const next of importsOf(file).filter((f) => files.includes(f))) {
      const cycle = visit(next);
      if (cycle) return cycle;
    }
    path.pop();
    state.set(file, 'done');
    return undefined;
  };
  for (const file of files) {
    const cycle = visit(file);
    if (cycle) return cycle;
  }
  return undefined;
}

describe('imports', () => {
  it('nothing under src/ imports from outside src/ by a relative path (dev scripts, tests)', () => {
    const outside = sourceFiles(SRC).flatMap((file) =>
      importsOf(file)
        .filter((target) => relative(SRC, target).startsWith('..'))
        .map((target) => `${relative(SRC, file)} -> ${relative(SRC, target)}`),
    );
    expect(outside).toEqual([]);
  });

  it('the files of src/mcp have no import cycle', () => {
    const cycle = findCycle(sourceFiles(join(SRC, 'mcp')));
    expect(cycle?.map((f) => relative(SRC, f))).toBeUndefined();
  });
});
