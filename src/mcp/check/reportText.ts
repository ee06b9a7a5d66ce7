/** The report as a person reads it (a table and one paragraph per failure), and reproduction commands. */
import type { CallStep, CheckFailure, CheckReport, FailureKind, FunctionReport } from './types.ts';

/** Quotes a word for a POSIX shell when it needs it. */
export function shellQuote(word: string): string {
  return /^[A-Za-z0-9_./:=@%+-]+$/.test(word) ? word : `'${word.replaceAll("'", `'\\''`)}'`;
}

/** What a reproduction command needs besides the steps. */
export interface CommandContext {
  /** The component's path as the user gave it. */
  path: string;
  /** The sandbox flags of the check (`--dir`, `--env`), repeated in the command. */
  sandboxFlags: string[];
  /** Time limit of the check, repeated for a time-out. */
  timeoutMs: number;
}

/**
 * A command line that reproduces a failure: `wasmactor call` for one call, `wasmactor check --replay`
 * for several calls on one instance (a sequence, or a method with the constructor that made its handle).
 */
export function reproduceCommand(context: CommandContext, steps: CallStep[], kind: FailureKind): string {
  const flags = [...context.sandboxFlags];
  if (kind === 'timeout') flags.push('--timeout', String(context.timeoutMs));
  const words =
    steps.length === 1 && steps[0]
      ? ['wasmactor', 'call', context.path, steps[0].tool, '--args', JSON.stringify(steps[0].args)]
      : ['wasmactor', 'check', context.path, '--replay', JSON.stringify(steps)];
  return [...words, ...flags].map(shellQuote).join(' ');
}

const COLUMNS = [
  'function',
  'runs',
  'ok',
  'err',
  'trap',
  'timeout',
  'exit',
  'bad',
  'nondet',
  'result',
] as const;

function statusText(f: FunctionReport): string {
  if (f.status === 'failed' && f.failure) return `FAIL ${f.failure.kind}`;
  if (f.status === 'skipped') return 'skipped';
  if (f.status === 'cancelled') return 'cancelled';
  return 'pass';
}

function row(f: FunctionReport, deterministic: boolean): string[] {
  const c = f.counts;
  return [
    f.tool,
    String(f.runs),
    String(c.ok),
    String(c.err),
    String(c.trap),
    String(c.timeout),
    String(c.exit),
    String(c.badResult),
    deterministic ? String(c.nondeterministic) : '-',
    statusText(f),
  ];
}

function table(rows: string[][]): string[] {
  const widths = COLUMNS.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows.map((r) =>
    r
      .map((cell, i) =>
        i === 0 || i === r.length - 1 ? cell.padEnd(widths[i] ?? 0) : cell.padStart(widths[i] ?? 0),
      )
      .join('  ')
      .trimEnd(),
  );
}

function failureText(title: string, failure: CheckFailure): string[] {
  const lines = [`${title}: ${failure.kind} — ${failure.message}`];
  if (failure.steps.length === 0) {
    lines.push('  while starting a fresh instance, before any call');
  } else if (failure.steps.length === 1 && failure.steps[0]) {
    lines.push(`  counterexample: ${JSON.stringify(failure.steps[0].args)}`);
  } else {
    lines.push(`  calls on one fresh instance (${failure.steps.length}):`);
    for (const step of failure.steps) lines.push(`    ${step.tool} ${JSON.stringify(step.args)}`);
  }
  if (!failure.shrunk) lines.push('  (not shrunk: it did not fail again when replayed)');
  if (failure.exitCode !== undefined) lines.push(`  exit code: ${failure.exitCode}`);
  if (failure.stderr) lines.push(`  stderr: ${failure.stderr.trimEnd().split('\n').join('\n          ')}`);
  if (failure.command) {
    lines.push(`  reproduce: ${failure.command}`);
    if (failure.kind === 'nondeterministic') lines.push('  (run it twice and compare)');
  }
  return lines;
}

/** The report as text: a table of functions, the failures with their reproductions, a summary line. */
export function formatReport(report: CheckReport): string {
  const lines = [
    `wasmactor check ${report.component} (seed ${report.seed}, ${report.runs} runs per function${report.deterministic ? ', deterministic' : ''})`,
    '',
    ...table([[...COLUMNS], ...report.functions.map((f) => row(f, report.deterministic))]),
  ];
  const { stateful } = report;
  if (stateful) {
    const result =
      stateful.status === 'failed' && stateful.failure
        ? `FAIL ${stateful.failure.kind}`
        : stateful.status === 'passed'
          ? 'pass'
          : 'cancelled';
    lines.push(
      '',
      `sequences of ${stateful.tools.join(', ') || 'no tools'}: ${stateful.runs} runs, ${result}`,
    );
  }
  for (const f of report.functions) {
    if (f.failure) lines.push('', ...failureText(f.tool, f.failure));
    if (f.status === 'skipped') lines.push('', `${f.tool}: skipped — ${f.reason ?? ''}`);
  }
  if (stateful?.failure) lines.push('', ...failureText('shortest failing sequence', stateful.failure));
  const failed =
    report.functions.filter((f) => f.status === 'failed').length + (stateful?.status === 'failed' ? 1 : 0);
  lines.push(
    '',
    report.cancelled
      ? 'cancelled before the end'
      : failed === 0
        ? `passed: nothing failed in ${report.functions.length} function${report.functions.length === 1 ? '' : 's'}${stateful ? ' and the sequences' : ''}`
        : `FAILED: ${failed} failure${failed === 1 ? '' : 's'}; run again with --seed ${report.seed} to see the same runs`,
  );
  return `${lines.join('\n')}\n`;
}
