/**
 * The script an instance worker runs. The sources are TypeScript, and a worker thread does not inherit
 * the main thread's TypeScript loader; registering tsx in every worker costs about 18 MiB per worker
 * (bench/capacity.bench.ts). So the worker host is bundled once per process with esbuild (~20 ms) into
 * `node_modules/.cache/wasmactor/`, beside the packages its imports resolve to, and workers load plain
 * JavaScript. Should bundling fail, workers fall back to registering tsx themselves. The published
 * package (dist/) carries the bundle made at build time (scripts/build.mjs), used as it is.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { log } from '../log.ts';

const fallback = new URL('./instanceWorker.boot.js', import.meta.url);
/** Written beside the compiled entry by `npm run build`; never present in src/. */
const prebuilt = new URL('./instanceWorker.bundle.js', import.meta.url);
let entry: Promise<URL> | undefined;

/** URL of the worker script: the build's bundle when there is one, else bundled on first use. */
export function workerEntry(): Promise<URL> {
  entry ??= existsSync(prebuilt)
    ? Promise.resolve(prebuilt)
    : bundle().catch((error: unknown) => {
        log.warn('cannot bundle the instance worker; workers load TypeScript through tsx instead', {
          error: (error as Error).message,
        });
        return fallback;
      });
  return entry;
}

async function bundle(): Promise<URL> {
  const { build } = await import('esbuild');
  const result = await build({
    entryPoints: [fileURLToPath(new URL('./instanceWorker.ts', import.meta.url))],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    packages: 'external',
    write: false,
    logLevel: 'silent',
  });
  const code = result.outputFiles[0]?.contents;
  if (!code) throw new Error('esbuild produced no output');
  const dir = fileURLToPath(new URL('../../../node_modules/.cache/wasmactor/', import.meta.url));
  const file = join(
    dir,
    `instanceWorker-${createHash('sha256').update(code).digest('hex').slice(0, 16)}.mjs`,
  );
  if (!existsSync(file)) {
    await mkdir(dir, { recursive: true });
    const tmp = `${file}.${process.pid}.tmp`;
    await writeFile(tmp, code);
    await rename(tmp, file);
  }
  return pathToFileURL(file);
}
