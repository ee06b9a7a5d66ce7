/**
 * Turns component bytes into a `PreparedComponent`: types decoded, tools derived, glue transpiled
 * (cached on disk) and core modules compiled once. Instances then live in worker threads, which get
 * the compiled modules by message.
 */
import { basename } from 'node:path';
import { decodeComponent } from '../decode/index.ts';
import { RuntimeError } from '../RuntimeError.ts';
import type { ComponentSource, ComponentTypes, PreparedComponent, PrepareOptions } from '../types.ts';
import { toolDefinitions } from '../wit/index.ts';
import { type ComponentPayload, defaultWorkerIdleMs, workerEntry } from '../worker/index.ts';
import { digestibleBytes } from './digestible.ts';
import { compileCoreModules } from './memoryLimit.ts';
import { defaultMaxComponentSize, readComponentFile } from './readBoundedFile.ts';
import { defaultCacheDir, sha256, transpileCached } from './transpileCache.ts';
import { WorkerComponent } from './WorkerComponent.ts';

export { defaultTimeoutMs } from './WorkerComponent.ts';

const loadCancelled = () => new RuntimeError('cancelled', 'loading the component was cancelled');

/** Lets timers and I/O that are due run before the next stretch of synchronous work. */
const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Default cap on the linear memory of every instance (1 GiB); see `PrepareOptions.maxMemory`. */
export const defaultMaxMemory = 2 ** 30;

/** Limits on reading a component (see `PrepareOptions.maxComponentSize`). */
export interface ReadOptions {
  /** Largest component accepted, in bytes (default 256 MiB). */
  maxComponentSize?: number;
}

/**
 * Reads a component's bytes, bounded (see readComponentFile.ts): only a regular file, no larger than
 * `maxComponentSize`, starting with a component header. Errors say what is wrong with the path, never
 * what the file contains.
 */
export async function readComponentSource(
  source: ComponentSource,
  options: ReadOptions = {},
): Promise<{ bytes: Uint8Array; name: string }> {
  const maxSize = options.maxComponentSize ?? defaultMaxComponentSize;
  if ('bytes' in source) {
    const name = source.name ?? 'component';
    if (source.bytes.length > maxSize) {
      throw new RuntimeError(
        'too-large',
        `${name}: the component is ${source.bytes.length} bytes, larger than the limit of ${maxSize} bytes ` +
          '(raise it with --max-component-size)',
      );
    }
    return { bytes: source.bytes, name };
  }
  return { bytes: await readComponentFile(source.path, maxSize), name: basename(source.path) };
}

/**
 * Reads a component and decodes its types; a decoding error names the file it came from
 * (`/x/notes.txt: not WebAssembly: ...`).
 */
export async function readComponentTypes(
  source: ComponentSource,
  options: ReadOptions = {},
): Promise<{ bytes: Uint8Array; types: ComponentTypes }> {
  const { bytes, name } = await readComponentSource(source, options);
  try {
    return { bytes, types: decodeComponent(bytes) };
  } catch (error) {
    if (!(error instanceof RuntimeError)) throw error;
    const where = 'path' in source ? source.path : name;
    throw new RuntimeError(error.code, `${where}: ${error.message}`, { cause: error });
  }
}

/** Prepares a component for instantiation. See `PreparedComponent`. */
export async function prepareComponent(
  source: ComponentSource,
  options: PrepareOptions = {},
): Promise<PreparedComponent> {
  const { onProgress, signal } = options;
  const total = 3;
  // The worker script (bundled on first use in a checkout) is made ready while this load goes on.
  const entry = workerEntry();
  const { bytes, types } = await readComponentTypes(source, options);
  // Decoding and deriving tools are synchronous (about 250 ms each for 10,000 exports): let other
  // requests in between them.
  await yieldToEventLoop();
  const tools = toolDefinitions(types);
  await yieldToEventLoop();
  if (signal?.aborted) throw loadCancelled();
  onProgress?.({ message: 'transpiling the component', progress: 1, total });
  // Hashed once per load: a caller that hashed these bytes already says so.
  const hash = ('sha256' in source ? source.sha256 : undefined) ?? sha256(bytes);
  // What jco reads: the same component without the custom sections it cannot digest (digestible.ts).
  const digestible = digestibleBytes(bytes);
  const transpileKey = digestible === bytes ? hash : sha256(digestible);
  const transpiled = await transpileCached(
    digestible,
    transpileKey,
    options.cacheDir ?? defaultCacheDir(),
    signal,
    options.workerIdleMs ?? defaultWorkerIdleMs,
  );
  if (signal?.aborted) {
    // Like a failure below: the cancelled load ends once its cache entry's write has.
    await transpiled.stored.catch(() => undefined);
    throw loadCancelled();
  }
  onProgress?.({ message: 'compiling core modules', progress: 2, total });
  // Every instance is capped: the policy's limit, else the server's, else 1 GiB.
  const memoryCap = options.memoryLimit ?? options.maxMemory ?? defaultMaxMemory;
  // Compiled while a new cache entry is being written; the glue is imported only once it is on disk,
  // and a load that fails here ends only once the write has ended too (nothing of it goes on after).
  const [compiled, stored] = await Promise.allSettled([
    compileCoreModules(transpiled.coreFiles, memoryCap),
    transpiled.stored,
  ]);
  if (compiled.status === 'rejected') throw compiled.reason;
  if (stored.status === 'rejected') throw stored.reason;
  const modules = compiled.value;
  onProgress?.({ message: 'ready', progress: 3, total });
  const payload: ComponentPayload = {
    gluePath: transpiled.gluePath,
    modules,
    functions: types.functions,
    imports: types.imports,
  };
  return new WorkerComponent(hash, types, tools, payload, await entry, options.workerIdleMs, memoryCap);
}
