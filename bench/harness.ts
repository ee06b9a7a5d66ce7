/**
 * What every bench shares, so that the figures can be trusted:
 * - isolation: importing this module points XDG_CACHE_HOME, XDG_DATA_HOME and XDG_CONFIG_HOME (for this
 *   process and every server or child it starts) at a temporary folder, removed at exit: no bench reads
 *   or writes the user's transpile cache, component directory or secrets;
 * - one way to measure: the figure and its floor are sampled the same way (same warm-up, same number of
 *   samples, interleaved in rounds so that drift and other load hit both), compared median to median
 *   (or p99 to p99);
 * - one way to report: every row prints its floor, its figure, the ratio, the goal and `met`/`not met`,
 *   and is appended to the summary file that `npm run bench` (bench/run.ts) prints at the end.
 *
 * Import it first in a bench file (before anything that may compute a default path).
 */
import { appendFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';

/** The user's own cache directory of wasmactor, as it was before the bench home replaced it. */
export const userCacheDir: string =
  process.env.WASMACTOR_BENCH_USER_CACHE ??
  join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'wasmactor');

/** The temporary home of this bench run (shared with children through the environment). */
export const benchHome: string = (() => {
  process.env.WASMACTOR_BENCH_USER_CACHE = userCacheDir;
  const inherited = process.env.WASMACTOR_BENCH_HOME;
  const home = inherited ?? mkdtempSync(join(tmpdir(), 'wasmactor-bench-home-'));
  process.env.WASMACTOR_BENCH_HOME = home;
  for (const [key, sub] of [
    ['XDG_CACHE_HOME', 'cache'],
    ['XDG_DATA_HOME', 'data'],
    ['XDG_CONFIG_HOME', 'config'],
  ] as const) {
    process.env[key] = join(home, sub);
    mkdirSync(join(home, sub), { recursive: true });
  }
  if (!inherited) process.on('exit', () => rmSync(home, { recursive: true, force: true }));
  return home;
})();

/** A fresh folder inside the bench home (removed with it). */
export function benchDir(prefix: string): string {
  return mkdtempSync(join(benchHome, `${prefix}-`));
}

export const MiB = 1024 * 1024;

// ---------------------------------------------------------------------------------------------------
// Statistics and sampling.

/** The q-quantile (nearest rank) of the samples. */
export function quantile(samples: readonly number[], q: number): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] ?? Number.NaN;
}

export const median = (samples: readonly number[]) => quantile(samples, 0.5);
export const p99 = (samples: readonly number[]) => quantile(samples, 0.99);

/** Wall time of one run of `fn`, in ms. */
export async function timeOnce(fn: () => unknown): Promise<number> {
  const started = performance.now();
  await fn();
  return performance.now() - started;
}

/**
 * Samples several measures the same way: `warmup` unmeasured runs of each, then `rounds` rounds in which
 * each measure runs `perRound` times (the order alternates between rounds). Returns the samples (ms).
 */
export async function sampleTogether<K extends string>(
  measures: Record<K, () => unknown>,
  options: { warmup: number; rounds: number; perRound: number },
): Promise<Record<K, number[]>> {
  const names = Object.keys(measures) as K[];
  const samples = Object.fromEntries(names.map((n) => [n, [] as number[]])) as Record<K, number[]>;
  for (const name of names) for (let i = 0; i < options.warmup; i++) await measures[name]();
  for (let round = 0; round < options.rounds; round++) {
    for (const name of round % 2 ? [...names].reverse() : names) {
      for (let i = 0; i < options.perRound; i++) samples[name].push(await timeOnce(measures[name]));
    }
  }
  return samples;
}

/** Resident memory of a process (Linux: /proc/<pid>/status), in bytes; undefined when unknown. */
export function rssOf(pid: number): number | undefined {
  try {
    const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

// ---------------------------------------------------------------------------------------------------
// Rows.

/** One figure with its floor and its goal, as the table has them. */
export interface Row {
  /** The measure (a row of issue 15's table). */
  measure: string;
  /** What the figure is compared with, measured in the same run the same way; absent for a bare limit. */
  floor?: { label: string; value: number };
  figure: number;
  unit: 'ms' | 'µs' | 'MiB' | 'x';
  /** figure / floor, when there is a floor. */
  ratio?: number;
  /** The goal: a ratio to the floor (`ratio`) or a bound on the figure (`figure`). */
  goal: { on: 'ratio' | 'figure'; max: number };
  met: boolean;
  note?: string;
}

/** A row whose goal is a bound on figure / floor. */
export function ratioRow(
  measure: string,
  floor: { label: string; value: number },
  figure: number,
  unit: Row['unit'],
  maxRatio: number,
  note?: string,
): Row {
  const ratio = figure / floor.value;
  return {
    measure,
    floor,
    figure,
    unit,
    ratio,
    goal: { on: 'ratio', max: maxRatio },
    met: ratio <= maxRatio,
    ...(note ? { note } : {}),
  };
}

/** A row whose goal is a bound on the figure itself. */
export function boundRow(
  measure: string,
  figure: number,
  unit: Row['unit'],
  max: number,
  note?: string,
): Row {
  return {
    measure,
    figure,
    unit,
    goal: { on: 'figure', max },
    met: figure <= max,
    ...(note ? { note } : {}),
  };
}

function amount(value: number, unit: Row['unit']): string {
  if (unit === 'x') return `${value.toFixed(2)}x`;
  const digits = Math.abs(value) >= 100 ? 0 : Math.abs(value) >= 10 ? 1 : 2;
  return `${value.toFixed(digits)} ${unit}`;
}

/** The cells of a row, for both the per-bench table and the summary. */
export function cells(row: Row): {
  measure: string;
  floor: string;
  figure: string;
  ratio: string;
  goal: string;
  verdict: string;
} {
  const goal = row.goal.on === 'ratio' ? `<= ${row.goal.max}x` : `<= ${amount(row.goal.max, row.unit)}`;
  return {
    measure: row.measure,
    floor: row.floor ? `${row.floor.label}: ${amount(row.floor.value, row.unit)}` : '—',
    figure: amount(row.figure, row.unit),
    ratio: row.ratio === undefined ? '—' : `${row.ratio.toFixed(2)}x`,
    goal,
    verdict: row.met ? 'met' : 'not met',
  };
}

/** Prints the rows as a table on stdout and appends them to the run's summary file, if any. */
export function report(title: string, rows: Row[]): void {
  const lines = rows.map(cells);
  const width = (key: keyof ReturnType<typeof cells>, head: string) =>
    Math.max(head.length, ...lines.map((l) => l[key].length));
  const cols = [
    ['measure', 'measure'],
    ['floor', 'floor (same run)'],
    ['figure', 'figure'],
    ['ratio', 'ratio'],
    ['goal', 'goal'],
    ['verdict', ''],
  ] as const;
  const widths = cols.map(([key, head]) => width(key, head));
  const format = (values: string[]) =>
    values
      .map((v, i) => v.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd();
  process.stdout.write(`\n${title}\n`);
  process.stdout.write(`${format(cols.map(([, head]) => head))}\n`);
  for (const line of lines) process.stdout.write(`${format(cols.map(([key]) => line[key]))}\n`);
  for (const row of rows) if (row.note) process.stdout.write(`  (${row.measure}: ${row.note})\n`);
  const summary = process.env.WASMACTOR_BENCH_SUMMARY;
  if (summary) for (const row of rows) appendFileSync(summary, `${JSON.stringify({ title, ...row })}\n`);
}
