// `npm run build` (run by `prepack`): compiles src/ into dist/, the JavaScript the published package
// runs, so that an installed wasmactor needs neither tsx nor esbuild nor TypeScript at run time.
// - tsc -p tsconfig.build.json: one .js per .ts, relative `./x.ts` imports rewritten to `./x.js`;
// - the plain JS files of src/ that run as worker threads (transpileWorker.mjs, workerBoot.mjs and the
//   lazy preview2-shim thread it installs) copied beside them;
// - the instance worker's host bundled into one file, dist/runtime/worker/instanceWorker.bundle.js
//   (src/runtime/worker/entry.ts uses it when present; from src/ it bundles at run time instead).
// Needs the dev dependencies (typescript, esbuild). Output on stderr; dist/ is replaced as a whole.
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = fileURLToPath(new URL('..', import.meta.url));
const src = join(root, 'src');
const dist = join(root, 'dist');

/** Plain JavaScript files of src/ that are loaded by path (worker threads), not imported. */
const copied = [
  'runtime/prepare/transpileWorker.mjs',
  'runtime/worker/workerBoot.mjs',
  'runtime/worker/lazyShimThread.mjs',
];

const started = performance.now();
rmSync(dist, { recursive: true, force: true });

const tsc = spawnSync(
  process.execPath,
  [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(root, 'tsconfig.build.json')],
  { stdio: ['ignore', process.stderr, 'inherit'] },
);
if (tsc.status !== 0) {
  process.stderr.write(`build: tsc failed (exit ${tsc.status ?? tsc.signal})\n`);
  process.exit(1);
}

for (const file of copied) {
  mkdirSync(dirname(join(dist, file)), { recursive: true });
  copyFileSync(join(src, file), join(dist, file));
}

await build({
  entryPoints: [join(src, 'runtime', 'worker', 'instanceWorker.ts')],
  outfile: join(dist, 'runtime', 'worker', 'instanceWorker.bundle.js'),
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  packages: 'external',
  logLevel: 'warning',
});

process.stderr.write(`build: dist/ written in ${Math.round(performance.now() - started)} ms\n`);
