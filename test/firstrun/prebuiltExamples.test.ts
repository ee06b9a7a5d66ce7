/**
 * An installed package (no dev dependencies) serves the examples that `prepack` built, without running
 * their build; a checkout with the build tools builds them as before.
 */
import { copyFile, mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ComponentHost } from '../../src/machines/index.ts';
import { loadExamples } from '../../src/mcp/commands/examples.ts';
import { ComponentStore, McpError, WasmactorServer } from '../../src/mcp/index.ts';
import { createRuntime } from '../../src/runtime/index.ts';
import { fixture, tempDir } from '../mcp/helpers.ts';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  vi.restoreAllMocks();
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

/** An examples folder with one example, `counter`, built; its build script fails if it runs. */
async function examplesDir(): Promise<string> {
  const { dir, cleanup } = await tempDir();
  cleanups.push(cleanup);
  const [counter] = (await fixture('counter')) as [string];
  await mkdir(join(dir, 'build'));
  await copyFile(counter, join(dir, 'build', 'counter.wasm'));
  await writeFile(join(dir, 'examples.json'), JSON.stringify({ counter: { stateful: true } }));
  await writeFile(join(dir, 'build.ts'), "process.stderr.write('the build ran\\n');\nprocess.exit(3);\n");
  return dir;
}

async function server(): Promise<WasmactorServer> {
  const { dir, cleanup } = await tempDir();
  const created = new WasmactorServer({
    host: new ComponentHost({ runtime: createRuntime() }),
    store: await ComponentStore.open(dir),
  });
  cleanups.push(async () => {
    await created.close();
    await cleanup();
  });
  return created;
}

describe('loadExamples', () => {
  it('serves the prebuilt examples without the build tools, and never runs the build', async () => {
    vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    const target = await server();
    await loadExamples(target, { examplesDir: await examplesDir(), canBuild: false });
    expect(target.listComponents().map((c) => [c.id, c.stateful])).toEqual([['counter', true]]);
    const logged = vi
      .mocked(process.stderr.write)
      .mock.calls.map((c) => String(c[0]))
      .join('');
    expect(logged).toMatch(/examples: using the prebuilt components/);
    expect(logged).not.toMatch(/the build ran/);
  });

  it('serves the prebuilt examples when the package has no build script, even where componentize-js resolves', async () => {
    // The published package ships no examples/build.ts; a componentize-js found up the tree (say, in a
    // global prefix) must not make it try to build.
    vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    const examples = await examplesDir();
    await rm(join(examples, 'build.ts'));
    const target = await server();
    await loadExamples(target, { examplesDir: examples });
    expect(target.listComponents().map((c) => c.id)).toEqual(['counter']);
  });

  it('runs the build where the build tools are installed', async () => {
    vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    const failure = await loadExamples(await server(), {
      examplesDir: await examplesDir(),
      canBuild: true,
    }).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(McpError);
    expect((failure as McpError).message).toMatch(/the build ran/);
  });
});
