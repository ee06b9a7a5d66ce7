/**
 * jco transpile with an on-disk cache keyed by the component's sha256 and the jco version, so a
 * second load of the same bytes skips transpiling. Each entry is written into a temporary folder and
 * renamed into place: a crash leaves either no entry or a whole one.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { access, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { RuntimeError } from '../RuntimeError.ts';

/** Version of jco-transpile, part of every cache key. */
export const jcoVersion: string = await readJcoVersion();

async function readJcoVersion(): Promise<string> {
  const entry = new URL(import.meta.resolve('@bytecodealliance/jco-transpile'));
  const pkg = JSON.parse(await readFile(new URL('../package.json', entry), 'utf8')) as { version: string };
  return pkg.version;
}

/** Bumped whenever the way glue is patched changes, so stale entries are not reused. */
const patchVersion = 4;

/** Default cache directory: `$XDG_CACHE_HOME/wasmactor` or `~/.cache/wasmactor`. */
export function defaultCacheDir(): string {
  return join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'wasmactor');
}

/** Hex sha256 of some bytes. */
export function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** A transpiled component on disk. */
export interface TranspiledComponent {
  /** Absolute path of the ES module that exports `instantiate`. */
  gluePath: string;
  /** Core wasm files by the name the glue asks for. */
  coreFiles: Record<string, Uint8Array>;
  /** True when the entry came from the cache. */
  cached: boolean;
}

// .mjs: the cache lies outside any package.json, and the glue is an ES module.
const glueName = 'component.mjs';

type TranspileReply = { ok: true; files: [string, Uint8Array][] } | { ok: false; error: string };

/**
 * jco's transpile in a worker thread (transpileWorker.mjs): it is synchronous work of about a second
 * for a 12 MiB JS component and tens of seconds for one with 10,000 exports, which on the main thread
 * would stall every other request. Aborting `signal` ends the worker, and the transpile with it.
 */
function transpileOffThread(bytes: Uint8Array, signal?: AbortSignal): Promise<Record<string, Uint8Array>> {
  const worker = new Worker(new URL('./transpileWorker.mjs', import.meta.url), {
    workerData: bytes,
    stdout: true,
  });
  // jco's output never reaches the protocol stream.
  worker.stdout.resume();
  let onAbort: (() => void) | undefined;
  return new Promise<Record<string, Uint8Array>>((resolve, reject) => {
    onAbort = () => reject(new RuntimeError('cancelled', 'loading the component was cancelled'));
    if (signal?.aborted) onAbort();
    signal?.addEventListener('abort', onAbort, { once: true });
    worker.once('message', (reply: TranspileReply) => {
      if (reply.ok) resolve(Object.fromEntries(reply.files));
      else {
        reject(
          new RuntimeError('invalid-component', `jco could not transpile the component: ${reply.error}`),
        );
      }
    });
    worker.once('error', (cause) => {
      reject(new RuntimeError('host-error', `the transpile worker crashed: ${cause.message}`, { cause }));
    });
    worker.once('exit', (code) => {
      reject(
        new RuntimeError('host-error', `the transpile worker exited with code ${code} without a result`),
      );
    });
  }).finally(() => {
    if (onAbort) signal?.removeEventListener('abort', onAbort);
    void worker.terminate();
  });
}

/**
 * Returns the transpiled form of a component, from the cache when it holds the same bytes for the same
 * jco version, else by transpiling now, off the main thread (about a second for a 12 MiB JS component).
 */
export async function transpileCached(
  bytes: Uint8Array,
  hash: string,
  cacheDir: string,
  signal?: AbortSignal,
): Promise<TranspiledComponent> {
  const dir = join(cacheDir, 'transpiled', `jco-${jcoVersion}-p${patchVersion}`, hash);
  const fromCache = await readEntry(dir);
  if (fromCache) return { gluePath: join(dir, glueName), coreFiles: fromCache, cached: true };
  // A folder without a whole entry (files deleted by hand): start it again. Only a folder that exists now:
  // entries appear whole (by rename), so this never removes one that another process is putting in place.
  if (existsSync(dir)) await rm(dir, { recursive: true, force: true }).catch(() => undefined);

  const files = await transpileOffThread(bytes, signal);
  const coreFiles: Record<string, Uint8Array> = {};
  let glue: string | undefined;
  for (const [name, content] of Object.entries(files)) {
    if (name === 'component.js') glue = patchGlue(new TextDecoder().decode(content));
    else if (name.endsWith('.wasm')) coreFiles[name] = content;
  }
  if (glue === undefined) throw new RuntimeError('host-error', 'jco produced no JavaScript glue');

  const tmp = `${dir}.tmp-${process.pid}-${Math.random().toString(36).slice(2)}`;
  try {
    await mkdir(tmp, { recursive: true });
    await writeFile(join(tmp, glueName), glue);
    for (const [name, content] of Object.entries(coreFiles)) await writeFile(join(tmp, name), content);
    await writeFile(join(tmp, 'complete'), JSON.stringify({ files: Object.keys(coreFiles) }));
    await rename(tmp, dir).catch(async (error: NodeJS.ErrnoException) => {
      // Another process put the same entry in place first: theirs is as good as ours.
      if (error.code !== 'ENOTEMPTY' && error.code !== 'EEXIST') throw error;
    });
  } catch (cause) {
    throw new RuntimeError(
      'host-error',
      `cannot write the transpile cache in ${cacheDir} (${(cause as Error).message}); make it writable or point XDG_CACHE_HOME elsewhere`,
      { cause },
    );
  } finally {
    await rm(tmp, { recursive: true, force: true }).catch(() => undefined);
  }
  return { gluePath: join(dir, glueName), coreFiles, cached: false };
}

/** A whole cache entry, or undefined for anything less (a miss). */
async function readEntry(dir: string): Promise<Record<string, Uint8Array> | undefined> {
  try {
    const marker = JSON.parse(await readFile(join(dir, 'complete'), 'utf8')) as { files: string[] };
    await access(join(dir, glueName));
    const files: Record<string, Uint8Array> = {};
    for (const name of marker.files) files[name] = await readFile(join(dir, name));
    return files;
  } catch {
    return undefined;
  }
}

/**
 * Changes to jco's glue (the first two measured on Node 20, see DESIGN.md):
 * - `_debugLog` reads `process.env.JCO_DEBUG` at hundreds of call sites per call, and when set would
 *   print with `console.debug` — to stdout, which belongs to the protocol. It becomes a no-op.
 * - Every `WebAssembly.promising(...)` throws on Node 20 (no JSPI), and each throw makes V8 re-parse the
 *   huge instantiate function (~73 ms -> ~12 ms per instantiation of a JS component when avoided). Where
 *   `promising` is missing, the glue's own fallback (the plain function) is used without throwing.
 * - Its `TextDecoder`s drop a leading U+FEFF of a string a guest returns, taking it for a byte-order
 *   mark; they keep it.
 */
export function patchGlue(source: string): string {
  return (
    source
      .replaceAll('if (!globalThis?.process?.env?.JCO_DEBUG) { return; }', 'return;')
      .replaceAll('WebAssembly.promising(', '(WebAssembly.promising ?? ((f) => f))(')
      // A string is bytes the guest chose: a leading U+FEFF is part of it, not a byte-order mark to drop.
      .replaceAll('new TextDecoder()', "new TextDecoder('utf-8', { ignoreBOM: true })")
      .replaceAll("new TextDecoder('utf-16')", "new TextDecoder('utf-16', { ignoreBOM: true })")
  );
}
