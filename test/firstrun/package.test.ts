/**
 * What `npm pack` puts in the package (package.json `files`): the command, its sources and what
 * `serve --examples` reads, and none of the tests, fixture sources, benchmarks, screenshots or CI.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const root = new URL('../..', import.meta.url).pathname;

describe('npm pack', () => {
  it('ships the command and its sources, and leaves out tests, fixtures, bench, docs and CI', async () => {
    const { stdout } = await promisify(execFile)('npm', ['pack', '--dry-run', '--json', '--offline'], {
      cwd: root,
    });
    const [packed] = JSON.parse(stdout) as [{ files: { path: string }[] }];
    const paths = packed.files.map((f) => f.path);
    for (const needed of [
      'package.json',
      'README.md',
      'bin/wasmactor.js',
      'src/cli.ts',
      'src/runtime/worker/instanceWorker.boot.js',
      'examples/examples.json',
      'examples/build.ts',
      'examples/notes/world.wit',
      'fixtures/buildComponent.ts',
    ]) {
      expect(paths).toContain(needed);
    }
    const unwanted = paths.filter((p) =>
      /^(test|property-tests|bench|docs|\.ci|scripts)\/|^fixtures\/(?!buildComponent\.ts$)|^(vitest\.config|biome|tsconfig)/.test(
        p,
      ),
    );
    expect(unwanted).toEqual([]);
  }, 60_000);
});
