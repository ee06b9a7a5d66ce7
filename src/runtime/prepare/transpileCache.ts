/**
 * jco transpile with an on-disk cache keyed by the component's sha256 and the jco version, so a
 * second load of the same bytes skips transpiling. Each entry is written into a temporary folder and
 * renamed into place: a crash leaves either no entry or a whole one (and a temporary folder, which a
 * later process removes: transpileCacheSweep.ts).
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { access, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { RuntimeError } from '../RuntimeError.ts';
import { defaultWorkerIdleMs } from '../worker/index.ts';
import { sweepOnce, tmpSuffix, versionDir } from './transpileCacheSweep.ts';
import { transpileOffThread } from './transpiler.ts';

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
  /**
   * Settles when the entry is on disk (at once for an entry from the cache); rejects with `host-error`
   * when the cache cannot be written. The glue at `gluePath` may be imported only once it resolved.
   */
  stored: Promise<void>;
}

// .mjs: the cache lies outside any package.json, and the glue is an ES module.
const glueName = 'component.mjs';

/**
 * Returns the transpiled form of a component, from the cache when it holds the same bytes for the same
 * jco version, else by transpiling now, off the main thread (transpiler.ts: about half a second for a
 * 12 MiB JS component once jco is warm). On a miss the entry is written while the caller goes on with
 * the core files (it compiles them meanwhile): see `stored`. `idleMs`: how long the transpile worker is
 * kept warm after a miss (see transpiler.ts).
 */
export async function transpileCached(
  bytes: Uint8Array,
  hash: string,
  cacheDir: string,
  signal?: AbortSignal,
  idleMs: number = defaultWorkerIdleMs,
): Promise<TranspiledComponent> {
  // Leftovers of interrupted writes, removed in the background once per process and cache.
  void sweepOnce(cacheDir);
  const dir = join(versionDir(cacheDir), hash);
  const gluePath = join(dir, glueName);
  const fromCache = await readEntry(dir);
  if (fromCache) return { gluePath, coreFiles: fromCache, cached: true, stored: Promise.resolve() };
  // A folder without a whole entry (files deleted by hand): start it again. Only a folder that exists now:
  // entries appear whole (by rename), so this never removes one that another process is putting in place.
  if (existsSync(dir)) await rm(dir, { recursive: true, force: true }).catch(() => undefined);

  const files = await transpileOffThread(bytes, idleMs, signal);
  const coreFiles: Record<string, Uint8Array> = {};
  let glue: string | undefined;
  for (const [name, content] of Object.entries(files)) {
    if (name === 'component.js') glue = patchGlue(new TextDecoder().decode(content));
    else if (name.endsWith('.wasm')) coreFiles[name] = content;
  }
  if (glue === undefined) throw new RuntimeError('host-error', 'jco produced no JavaScript glue');
  const stored = writeEntry(dir, glue, coreFiles, cacheDir);
  // The caller awaits it; should the caller fail first, its failure is not an unhandled rejection.
  stored.catch(() => undefined);
  return { gluePath, coreFiles, cached: false, stored };
}

/** Writes an entry into a temporary folder (`<hash>.tmp-<pid>-<random>`), then renames it into place. */
async function writeEntry(
  dir: string,
  glue: string,
  coreFiles: Record<string, Uint8Array>,
  cacheDir: string,
): Promise<void> {
  const tmp = `${dir}${tmpSuffix()}`;
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
