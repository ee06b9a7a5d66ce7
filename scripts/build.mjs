// `npm run build` (run by `prepack`; `prestart` runs it with --if-stale, which builds only when dist/ is
// not current): compiles src/ into dist/, the JavaScript the published package runs, so that an
// installed wasmactor needs neither tsx nor esbuild nor TypeScript at run time.
// - src/ bundled by esbuild into a few files (issue 15, start-up: Node 20 loads each ES module on its
//   own, and ~140 small modules cost more than their code): dist/cli.js and one file per command
//   (dist/mcp/commands/serveCommand.js...), with code splitting, so what a module imports lazily
//   (`await import(...)`: the HTTP stack, the inspector, `check`) stays in its own chunk, loaded when
//   used. Packages stay external (imported from node_modules as before);
// - `import.meta.url` in the sources keeps meaning "where this source file sits": each file's is
//   rewritten to the URL its tsc output would have had (dist/<path of the file in src/>), so that
//   `new URL('./workerBoot.mjs', import.meta.url)` and `new URL('../../../package.json', ...)` find the
//   same files as before, whichever chunk the code ends up in;
// - the plain JS files of src/ that run as worker threads (transpileWorker.mjs, workerBoot.mjs and the
//   lazy preview2-shim thread it installs) copied beside them;
// - the instance worker's host bundled into one file, dist/runtime/worker/instanceWorker.bundle.js
//   (src/runtime/worker/entry.ts uses it when present; from src/ it bundles at run time instead);
// - dist/build-stamp.json last: the hash of the sources it was built from (scripts/buildStamp.mjs), so
//   that bin/wasmactor.js in a checkout runs dist/ only while it is provably built from the sources
//   there. dist/ is built in a temp dir and moved into place whole.
// Types are not checked here (`npm run check` does: tsc --noEmit). Needs the dev dependency esbuild.
// Output on stderr.
import {
  copyFileSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { distIsCurrent, STAMP_FILE, sourcesHash } from './buildStamp.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const src = join(root, 'src');
const dist = join(root, 'dist');
const staging = join(root, `dist.tmp-${process.pid}`);

/** Plain JavaScript files of src/ that are loaded by path (worker threads), not imported. */
const copied = [
  'runtime/prepare/transpileWorker.mjs',
  'runtime/worker/workerBoot.mjs',
  'runtime/worker/lazyShimThread.mjs',
];

/** The entry points: the command line, and each command (its own file, as `commands/index.ts` loads it). */
const entries = [
  'cli.ts',
  'mcp/commands/serveCommand.ts',
  'mcp/commands/componentCommand.ts',
  'mcp/commands/secretCommand.ts',
  'mcp/commands/toolsCommand.ts',
  'mcp/commands/callCommand.ts',
  'mcp/commands/checkCommand.ts',
  'mcp/commands/pushCommand.ts',
  'mcp/commands/syncCommand.ts',
];

/**
 * Packages are not bundled: they are imported from node_modules at run time. Bundling the MCP SDK, zod
 * and xstate too saved ~60 ms of CPU at start (Node 20 loads their ~110 ES modules one by one) but made
 * every tools/call slower (echo tool p50 0.050 -> 0.063 ms, WAT counter 0.224 -> 0.244 ms, 10 rounds
 * interleaved; issue 15), and the call path matters more.
 */
/** In the output, replaced per file by the way from that file up to dist/ (`./`, `../../`). */
const ROOT_MARK = '__wasmactor_dist_root__/';

/**
 * Rewrites `import.meta.url` in each source file to the URL of that file's place in dist/ (as tsc laid
 * it out: src/a/b.ts -> dist/a/b.js), computed from the chunk's own URL and its way up to dist/.
 */
const sourceUrls = {
  name: 'source-urls',
  setup(b) {
    b.onLoad({ filter: /\.[cm]?[jt]s$/ }, (args) => {
      if (!args.path.startsWith(src + sep)) return undefined;
      const text = readFileSync(args.path, 'utf8');
      if (!text.includes('import.meta.url')) return undefined;
      const place = relative(src, args.path).split(sep).join('/').replace(/\.ts$/, '.js');
      const url = `new URL(${JSON.stringify(`${ROOT_MARK}${place}`)}, import.meta.url).href`;
      return {
        contents: text.replaceAll('import.meta.url', url),
        loader: args.path.endsWith('.ts') ? 'ts' : 'js',
      };
    });
  },
};

const checkout = root.replace(/[\\/]$/, '');
const ifStale = process.argv.includes('--if-stale');
if (ifStale && distIsCurrent(checkout)) process.exit(0);
const { build } = await import('esbuild');
/** Copies the chunks of `from` younger than a week that `to` does not have into `to`. */
function carryChunksForward(from, to) {
  const week = 7 * 24 * 3600 * 1000;
  let names;
  try {
    names = readdirSync(from);
  } catch {
    return; // no previous dist/
  }
  const have = new Set(readdirSync(to));
  for (const name of names) {
    const file = join(from, name);
    const { atime, mtime } = statSync(file);
    if (have.has(name) || Date.now() - mtime.getTime() >= week) continue;
    copyFileSync(file, join(to, name));
    utimesSync(join(to, name), atime, mtime); // its age is the age of the build that made it
  }
}

const started = performance.now();
rmSync(staging, { recursive: true, force: true });
const hash = sourcesHash(checkout);

const result = await build({
  entryPoints: entries.map((entry) => join(src, entry)),
  outbase: src,
  outdir: staging,
  entryNames: '[dir]/[name]',
  chunkNames: 'chunks/[name]-[hash]',
  bundle: true,
  splitting: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  packages: 'external',
  absWorkingDir: checkout,
  plugins: [sourceUrls],
  write: false,
  logLevel: 'warning',
});
for (const file of result.outputFiles) {
  const up = relative(dirname(file.path), staging).split(sep).join('/');
  const text = file.text.replaceAll(ROOT_MARK, up === '' ? './' : `${up}/`);
  mkdirSync(dirname(file.path), { recursive: true });
  writeFileSync(file.path, text);
}

for (const file of copied) {
  mkdirSync(dirname(join(staging, file)), { recursive: true });
  copyFileSync(join(src, file), join(staging, file));
}

await build({
  entryPoints: [join(src, 'runtime', 'worker', 'instanceWorker.ts')],
  outfile: join(staging, 'runtime', 'worker', 'instanceWorker.bundle.js'),
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  packages: 'external',
  logLevel: 'warning',
});

// A server started from the previous dist/ may still import a chunk of it lazily (check-component's):
// with --if-stale (the checkout's `npm start`), its chunks are kept beside the new ones (their names
// are hashes of their contents, so they cannot clash) for a week. The worker scripts have fixed names:
// such a server starts new workers from the new ones. `npm run build` (prepack) writes a clean dist/.
if (ifStale) carryChunksForward(join(dist, 'chunks'), join(staging, 'chunks'));

// The stamp is of the sources as they were when the build began: an edit made meanwhile makes it stale.
writeFileSync(join(staging, STAMP_FILE), `${JSON.stringify({ sources: hash })}\n`);
const old = `${dist}.old-${process.pid}`;
try {
  renameSync(dist, old);
} catch (error) {
  if (error.code !== 'ENOENT') throw error;
}
try {
  renameSync(staging, dist);
} catch (error) {
  // Another build (a second `npm start`, a test) put its dist/ in place meanwhile: if it is of these
  // sources it is as good as ours.
  if (!['ENOTEMPTY', 'EEXIST'].includes(error.code) || !distIsCurrent(checkout)) throw error;
  rmSync(staging, { recursive: true, force: true });
}
rmSync(old, { recursive: true, force: true });

process.stderr.write(`build: dist/ written in ${Math.round(performance.now() - started)} ms\n`);
