/**
 * Paths of the test components built from fixtures/ (vitest's globalSetup builds them before any test).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { FIXTURE_NAMES, FIXTURES_BUILD_DIR, type FixtureName } from '../../fixtures/build.ts';

export { FIXTURE_NAMES, type FixtureName };

/** The WebAssembly global, typed locally: the project's lib settings declare its types but not the value. */
export const wasm = (
  globalThis as unknown as { WebAssembly: { compile(bytes: Uint8Array): Promise<WebAssembly.Module> } }
).WebAssembly;

/** Absolute path of fixtures/build/<name>.wasm; throws if the name is unknown or it was not built. */
export function fixturePath(name: FixtureName | (string & {})): string {
  if (!(FIXTURE_NAMES as readonly string[]).includes(name)) {
    throw new Error(`unknown fixture "${name}"; known: ${FIXTURE_NAMES.join(', ')}`);
  }
  const path = join(FIXTURES_BUILD_DIR, `${name}.wasm`);
  if (!existsSync(path)) {
    throw new Error(`fixture ${name} is not built (${path}); run \`npm run build:fixtures\``);
  }
  return path;
}

/** A guest's exports as jco builds them; untyped on purpose, tests call the fixture functions directly. */
// biome-ignore lint/suspicious/noExplicitAny: the shape depends on the fixture's WIT
export type GuestExports = Record<string, any>;

/** A fixture transpiled by jco and imported: its `instantiate` and its compiled core modules. */
interface JcoModule {
  instantiate: (
    getCoreModule: (path: string) => Promise<WebAssembly.Module>,
    imports: Record<string, unknown>,
  ) => Promise<GuestExports>;
  /** The core module at `path` of the transpile output, compiled once (a Module holds no state). */
  coreModule: (path: string) => Promise<WebAssembly.Module>;
}

/** The fixtures transpiled so far in this process, by name: each is transpiled and compiled once. */
const transpiled = new Map<FixtureName, Promise<JcoModule>>();

async function transpileWithJco(name: FixtureName): Promise<JcoModule> {
  const { readFile, mkdtemp, mkdir, writeFile } = await import('node:fs/promises');
  const { tmpdir } = await import('node:os');
  const { dirname } = await import('node:path');
  const { pathToFileURL } = await import('node:url');
  const { transpileBytes } = await import('@bytecodealliance/jco-transpile');
  const bytes = await readFile(fixturePath(name));
  const { files } = await transpileBytes(bytes, {
    name: 'component',
    instantiation: 'async',
    noComponentErrorWrapping: false,
  });
  const dir = await mkdtemp(join(tmpdir(), `wasmactor-${name}-`));
  for (const [file, content] of Object.entries(files)) {
    await mkdir(dirname(join(dir, file)), { recursive: true });
    await writeFile(join(dir, file), content);
  }
  const mod = (await import(pathToFileURL(join(dir, 'component.js')).href)) as Pick<JcoModule, 'instantiate'>;
  const compiled = new Map<string, Promise<WebAssembly.Module>>();
  const coreModule = (path: string) => {
    let module = compiled.get(path);
    if (!module) {
      module = readFile(join(dir, path)).then((core) => wasm.compile(core));
      compiled.set(path, module);
    }
    return module;
  };
  return { instantiate: mod.instantiate, coreModule };
}

/**
 * Instantiates a fixture with plain jco (transpiled once per process to a temp folder and imported, then
 * a new instance with a fresh `WASIShim` on every call): a reference path independent of wasmactor's
 * runtime, for tests of the fixtures themselves. `imports` are merged over the WASI imports (e.g.
 * `{'local:host/logger': {log}}`).
 */
export async function instantiateWithJco(
  name: FixtureName,
  options: { imports?: Record<string, unknown>; sandbox?: Record<string, unknown> } = {},
): Promise<GuestExports> {
  const { WASIShim } = await import('@bytecodealliance/preview2-shim/instantiation');
  let loading = transpiled.get(name);
  if (!loading) {
    loading = transpileWithJco(name);
    transpiled.set(name, loading);
  }
  const { instantiate, coreModule } = await loading;
  const shim = new WASIShim(
    options.sandbox === undefined ? undefined : ({ sandbox: options.sandbox } as never),
  );
  return instantiate(coreModule, { ...shim.getImportObject(), ...options.imports });
}
