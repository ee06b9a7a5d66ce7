/**
 * Builds the example components in examples/<name>/ into examples/build/<name>.wasm (cached by input
 * hash, the same builder as the test fixtures). A dev script: `wasmactor serve --examples` (npm start) runs
 * it in a child process (src/mcp/commands/examples.ts) and never imports it, since building needs the dev
 * dependencies; run it alone with `npx tsx examples/build.ts`. Progress goes to stderr.
 */
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { buildComponentDir } from '../fixtures/buildComponent.ts';
import { sha256 } from '../src/runtime/index.ts';

/** examples/ (the sources). */
export const EXAMPLES_DIR = dirname(fileURLToPath(import.meta.url));
/** examples/build/ (the outputs, git-ignored). */
export const EXAMPLES_BUILD_DIR = join(EXAMPLES_DIR, 'build');

/** One built example. */
export interface BuiltExample {
  /** Component id (the folder name). */
  id: string;
  wasmPath: string;
  sha256: string;
  /** How the example is meant to be loaded (examples.json). */
  stateful: boolean;
  description: string;
}

/** Builds every example (cached) and says how each is meant to be loaded. */
export async function buildExamples(options: { log?: (msg: string) => void } = {}): Promise<BuiltExample[]> {
  const manifest = JSON.parse(await readFile(join(EXAMPLES_DIR, 'examples.json'), 'utf8')) as Record<
    string,
    { stateful: boolean; description: string }
  >;
  const results = await buildComponentDir(EXAMPLES_DIR, EXAMPLES_BUILD_DIR, {
    only: Object.keys(manifest),
    log: options.log,
  });
  const built: BuiltExample[] = [];
  for (const [id, result] of Object.entries(results)) {
    const entry = manifest[id] as { stateful: boolean; description: string };
    built.push({
      id,
      wasmPath: result.wasmPath,
      sha256: sha256(await readFile(result.wasmPath)),
      stateful: entry.stateful,
      description: entry.description,
    });
  }
  return built;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const built = await buildExamples({ log: (msg) => process.stderr.write(`${msg}\n`) });
  for (const example of built) process.stderr.write(`${example.id}: ${example.wasmPath}\n`);
}
