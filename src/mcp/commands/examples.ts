/**
 * `serve --examples` (what `npm start` runs): builds the example components in examples/ and loads them.
 * Building needs the repository's dev dependencies (componentize-js, jco), so it is not part of the
 * server: the dev script examples/build.ts runs in a child process (cached by input hash, so a second
 * start is quick), its output goes to the log, and the server only reads what it built.
 */
import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { log, sha256 } from '../../runtime/index.ts';
import { McpError } from '../McpError.ts';
import type { WasmactorServer } from '../server/index.ts';

/** The repository (examples/ is not part of a published package). */
const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const EXAMPLES_DIR = join(REPO_ROOT, 'examples');

/** One built example, as examples/examples.json says to load it. */
export interface Example {
  id: string;
  wasmPath: string;
  sha256: string;
  stateful: boolean;
}

/**
 * Runs `<examplesDir>/build.ts` in a child process; its output (stdout too) becomes log lines on
 * stderr, never our stdout, which belongs to the protocol.
 */
export async function buildExamples(examplesDir = EXAMPLES_DIR): Promise<void> {
  const script = join(examplesDir, 'build.ts');
  const child = spawn(process.execPath, ['--import', 'tsx', script], {
    cwd: REPO_ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const tail: string[] = [];
  for (const stream of [child.stdout, child.stderr]) {
    createInterface({ input: stream }).on('line', (line) => {
      tail.push(line);
      if (tail.length > 5) tail.shift();
      log.info(line);
    });
  }
  const code = await new Promise<number | null>((done, fail) => {
    child.once('error', fail);
    child.once('close', done);
  });
  if (code !== 0) {
    throw new McpError(
      'examples-failed',
      `${script} exited with code ${code} (${tail.join(' | ')}); building the examples needs the dev dependencies (npm install)`,
    );
  }
}

/** The examples examples/examples.json lists, with the hash of what was built for each. */
export async function listExamples(): Promise<Example[]> {
  const manifest = JSON.parse(await readFile(join(EXAMPLES_DIR, 'examples.json'), 'utf8')) as Record<
    string,
    { stateful: boolean }
  >;
  const examples: Example[] = [];
  for (const [id, { stateful }] of Object.entries(manifest)) {
    const wasmPath = join(EXAMPLES_DIR, 'build', `${id}.wasm`);
    examples.push({ id, wasmPath, sha256: sha256(await readFile(wasmPath)), stateful });
  }
  return examples;
}

/** True when the component directory already holds this example with the same bytes and mode. */
async function alreadyLoaded(server: WasmactorServer, example: Example): Promise<boolean> {
  if (!server.store || !server.listComponents().some((c) => c.id === example.id)) return false;
  const stored = await server.store.get(example.id).catch(() => undefined);
  return stored?.metadata.sha256 === example.sha256 && stored.metadata.stateful === example.stateful;
}

/** Builds examples/ (cached) and loads every example that is not loaded with the same bytes already. */
export async function loadExamples(server: WasmactorServer): Promise<void> {
  await buildExamples();
  for (const example of await listExamples()) {
    if (await alreadyLoaded(server, example)) continue;
    const report = await server.loadComponent(example.wasmPath, example.stateful);
    log.info('example loaded', {
      id: report.id,
      stateful: example.stateful,
      tools: report.tools.map((t) => t.name),
    });
  }
}
