/**
 * How fast the command answers `--help` and `--version` (bin/wasmactor.js answers both before loading
 * tsx or the server) and, for scale, `help serve` (which loads tsx and the serve command), against the
 * floor of starting node at all (`node -e 0`). Median wall time of each over N runs, and the ratio to the
 * floor. Goal: --help and --version under 0.15 s on this machine.
 *
 *   node bench/launch.mjs bench/cli.bench.ts [runs]
 */
// Isolation first: the user's cache, component directory and secrets are never touched.
import './harness.ts';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

const RUNS = Number(process.argv[2] ?? 20);
const bin = join(import.meta.dirname, '..', 'bin', 'wasmactor.js');

function median(samples: number[]): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
}

/** Median wall time (ms) of running `node args` RUNS times, after one warm-up run. */
function time(args: string[]): number {
  const samples: number[] = [];
  for (let i = 0; i <= RUNS; i++) {
    const start = performance.now();
    const result = spawnSync(process.execPath, args, { stdio: ['ignore', 'ignore', 'inherit'] });
    if (result.status !== 0) throw new Error(`node ${args.join(' ')} exited with ${result.status}`);
    if (i > 0) samples.push(performance.now() - start);
  }
  return median(samples);
}

const floor = time(['-e', '0']);
const rows: [string, number][] = [
  ['node -e 0', floor],
  ['wasmactor --help', time([bin, '--help'])],
  ['wasmactor --version', time([bin, '--version'])],
  ['wasmactor help serve', time([bin, 'help', 'serve'])],
];
process.stdout.write(`CLI start-up, median of ${RUNS} runs (goal: --help and --version under 150 ms)\n`);
for (const [name, ms] of rows) {
  process.stdout.write(
    `  ${name.padEnd(22)} ${ms.toFixed(1).padStart(7)} ms   ${(ms / floor).toFixed(2)}x node -e 0\n`,
  );
}
