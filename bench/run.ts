/**
 * `npm run bench`: runs every bench, one after another, each in its own process started by
 * bench/launch.mjs (tsx registered by its API), all sharing one temporary home (bench/harness.ts: no
 * bench touches the user's cache, component directory or secrets). A bench that fails is reported and
 * the others still run. At the end, the rows with goals (issue 15's table) are printed together as a
 * Markdown table with the date and the machine, ready for README's "Performance" section.
 *
 *   npm run bench                    (every bench)
 *   npm run bench -- actor mcp       (only these)
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { availableParallelism, cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { benchHome, cells, MiB, type Row, userCacheDir } from './harness.ts';

/** In the order of issue 15's table first, then the other benches. */
const BENCHES = [
  'mcp',
  'actor',
  'server',
  'runtime',
  'stateless',
  'capacity',
  'cli',
  'startup',
  'requests',
  'http',
  'scale',
];

/** Each bench's time limit (seconds); `WASMACTOR_BENCH_LIMIT_S` to change it. */
const LIMIT_S = Number(process.env.WASMACTOR_BENCH_LIMIT_S ?? 1200);
const only = process.argv.slice(2);
const chosen = only.length ? BENCHES.filter((b) => only.includes(b)) : BENCHES;
const summary = join(benchHome, 'summary.jsonl');
const launcher = join(import.meta.dirname, 'launch.mjs');
const failed: string[] = [];

/** The entries of the user's transpile cache (a bench must never add one: it runs in the bench home). */
function userCacheEntries(): Set<string> {
  const root = join(userCacheDir, 'transpiled');
  if (!existsSync(root)) return new Set();
  return new Set(
    readdirSync(root).flatMap((version) => readdirSync(join(root, version)).map((h) => `${version}/${h}`)),
  );
}
const userCacheBefore = userCacheEntries();

for (const name of chosen) {
  const file = join(import.meta.dirname, `${name}.bench.ts`);
  process.stdout.write(`\n=== ${name} (node bench/launch.mjs bench/${name}.bench.ts)\n`);
  const started = performance.now();
  const result = spawnSync(process.execPath, [launcher, file], {
    stdio: 'inherit',
    env: { ...process.env, WASMACTOR_BENCH_SUMMARY: summary, WASMACTOR_BENCH_HOME: benchHome },
    // A bench that does not end (a handle left open) must not hold up the others.
    timeout: LIMIT_S * 1000,
    killSignal: 'SIGKILL',
  });
  const seconds = ((performance.now() - started) / 1000).toFixed(0);
  if (result.status !== 0) {
    const why =
      result.error && 'code' in result.error && result.error.code === 'ETIMEDOUT'
        ? `did not end within ${LIMIT_S} s`
        : `exit ${result.status ?? result.signal}`;
    failed.push(`${name} (${why})`);
    process.stdout.write(`=== ${name} FAILED after ${seconds} s\n`);
  } else {
    process.stdout.write(`=== ${name} done in ${seconds} s\n`);
  }
}

const leaked = [...userCacheEntries()].filter((entry) => !userCacheBefore.has(entry));
if (leaked.length) {
  // (something else on this machine may have written them meanwhile; the benches themselves should not)
  process.stdout.write(
    `\nWARNING: ${leaked.length} new entries in the user's cache ${userCacheDir}: ${leaked.join(', ')}\n`,
  );
}

const rows: (Row & { title: string })[] = existsSync(summary)
  ? readFileSync(summary, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as Row & { title: string })
  : [];
const cpu = cpus()[0]?.model ?? 'unknown CPU';
const machine = `${cpu}, ${availableParallelism()} cores, ${(totalmem() / 1024 / MiB).toFixed(1)} GiB, node ${process.version}, ${process.platform}`;
const lines = [
  '',
  `## Summary (${new Date().toISOString().slice(0, 10)}; ${machine})`,
  '',
  '| measure | floor (same run) | figure | ratio | goal | |',
  '|---|---|---|---|---|---|',
  ...rows.map((row) => {
    const c = cells(row);
    return `| ${c.measure} | ${c.floor} | ${c.figure} | ${c.ratio} | ${c.goal} | ${c.verdict} |`;
  }),
  '',
  `${rows.filter((r) => r.met).length} of ${rows.length} goals met.`,
  ...(failed.length ? [`Benches that failed: ${failed.join(', ')}.`] : []),
  '',
];
process.stdout.write(lines.join('\n'));
process.exitCode = failed.length ? 1 : 0;
