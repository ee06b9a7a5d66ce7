/**
 * `serve --examples` (what `npm start` runs): builds the example components in examples/ and loads them
 * BEFORE the server answers its first message, so that a one-shot client (MCP Inspector CLI) sees their
 * tools in its first tools/list. Building needs the repository's dev dependencies (componentize-js, jco),
 * so it is not part of the server: the dev script examples/build.ts runs in a child process (cached by
 * input hash, so a second start is quick), its output goes to the log, and the server only reads what it
 * built. Each phase logs a line with the time since the start.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
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
export async function buildExamples(examplesDir = EXAMPLES_DIR, signal?: AbortSignal): Promise<void> {
  const script = join(examplesDir, 'build.ts');
  const child = spawn(process.execPath, ['--import', 'tsx', script], {
    cwd: REPO_ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
    ...(signal ? { signal } : {}),
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
  signal?.throwIfAborted();
  if (code !== 0) {
    throw new McpError(
      'examples-failed',
      `${script} exited with code ${code} (${tail.join(' | ')}); building the examples needs the dev dependencies (npm install)`,
    );
  }
}

/** The examples examples/examples.json lists, with the hash of what was built for each. */
export async function listExamples(examplesDir = EXAMPLES_DIR): Promise<Example[]> {
  const manifest = JSON.parse(await readFile(join(examplesDir, 'examples.json'), 'utf8')) as Record<
    string,
    { stateful: boolean }
  >;
  const examples: Example[] = [];
  for (const [id, { stateful }] of Object.entries(manifest)) {
    const wasmPath = join(examplesDir, 'build', `${id}.wasm`);
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

/** Where the examples are and what stops their build and load. */
export interface LoadExamplesOptions {
  examplesDir?: string;
  signal?: AbortSignal;
  /**
   * Whether the examples can be built here; default: whether their build script is there (a checkout,
   * not the published package) and componentize-js (a dev dependency) resolves.
   */
  canBuild?: boolean;
}

/** True when componentize-js (a dev dependency: the examples' build tool) can be imported from here. */
function buildToolsInstalled(): boolean {
  try {
    import.meta.resolve('@bytecodealliance/componentize-js');
    return true;
  } catch {
    return false;
  }
}

/**
 * True when the examples can be served as they are: every one listed in examples.json is built
 * (an installed package ships them built by `prepack`, without the tools that build them).
 */
async function prebuilt(examplesDir: string): Promise<boolean> {
  const manifest = JSON.parse(await readFile(join(examplesDir, 'examples.json'), 'utf8')) as object;
  return Object.keys(manifest).every((id) => existsSync(join(examplesDir, 'build', `${id}.wasm`)));
}

/** Builds examples/ (cached) and loads every example that is not loaded with the same bytes already. */
export async function loadExamples(
  server: WasmactorServer,
  options: LoadExamplesOptions = {},
): Promise<void> {
  const started = performance.now();
  const elapsedMs = () => Math.round(performance.now() - started);
  const examplesDir = options.examplesDir ?? EXAMPLES_DIR;
  const canBuild = options.canBuild ?? (existsSync(join(examplesDir, 'build.ts')) && buildToolsInstalled());
  if (!canBuild && (await prebuilt(examplesDir))) {
    // An installed package: the components were built by `prepack`, the build tools are not here.
    log.info('examples: using the prebuilt components (building them needs the dev dependencies)');
  } else {
    log.info('examples: building (cached; the first time takes about 20 s)');
    await buildExamples(examplesDir, options.signal);
    log.info('examples: built', { elapsedMs: elapsedMs() });
  }
  let tools = 0;
  for (const example of await listExamples(examplesDir)) {
    options.signal?.throwIfAborted();
    if (await alreadyLoaded(server, example)) {
      log.info('examples: already loaded', { id: example.id, elapsedMs: elapsedMs() });
      tools += server.listComponents().find((c) => c.id === example.id)?.tools.length ?? 0;
      continue;
    }
    const report = await server.loadComponent(
      example.wasmPath,
      example.stateful,
      undefined,
      undefined,
      options.signal,
    );
    tools += report.tools.length;
    log.info('example loaded', {
      id: report.id,
      stateful: example.stateful,
      tools: report.tools.map((t) => t.name),
      elapsedMs: elapsedMs(),
    });
  }
  log.info('examples: ready', { tools, elapsedMs: elapsedMs() });
}

/**
 * Builds and loads the examples before the server answers. A stop (`stopped` resolving: a signal or the
 * end of stdin) during the build ends it and is not an error: resolves false, and the server shuts down.
 * A failed build is logged and the server goes on without the examples (true).
 */
export async function loadExamplesFirst(
  server: WasmactorServer,
  stopped: Promise<void>,
  examplesDir?: string,
): Promise<boolean> {
  const stop = new AbortController();
  void stopped.then(() => stop.abort());
  try {
    await loadExamples(server, { signal: stop.signal, ...(examplesDir ? { examplesDir } : {}) });
  } catch (error) {
    if (stop.signal.aborted) {
      log.info('examples: stopped by the shutdown');
      return false;
    }
    log.error('cannot build or load the examples', { error: (error as Error).message });
  }
  return !stop.signal.aborted;
}
