/**
 * `wasmactor check <component.wasm>`: property-based testing of a component's exported functions through
 * the real runtime and sandbox (see src/mcp/check/). `--replay` runs the calls of a reported failure.
 */
import { resolve } from 'node:path';
import { createRuntime, type PreparedComponent, type SandboxSpec } from '../../runtime/index.ts';
import { parseEnvPair } from '../../runtime/policy/index.ts';
import {
  type CheckReport,
  checkComponent,
  DEFAULT_RUNS,
  formatReport,
  parseSteps,
  replaySteps,
  reproduceCommand,
  selectTools,
} from '../check/index.ts';
import type { CommandIo } from './CommandIo.ts';
import { parseDirFlag } from './callCommand.ts';
import { fail, out, parseCommand } from './commandArgs.ts';

/** Time limit of each call of a check when `--timeout` is not given (a hang costs this much per run). */
export const CHECK_TIMEOUT_MS = 5_000;

export const checkUsage = `Usage: wasmactor check <component.wasm> [options]

Calls every exported function (or the --tool ones) with random arguments drawn from its WIT types, each
call in a fresh sandbox that has only what the flags give, and reports per function: runs, answers, WIT
errors, traps, time-outs, guest exits, results that do not match the declared type and (--deterministic)
different answers to the same arguments. Each failure comes with fast-check's shrunk counterexample as a
command line that reproduces it. Exit code 0 when nothing failed, 1 when something did, 2 for usage errors.

Options:
  --runs N             runs per function, and sequences with --stateful (default ${DEFAULT_RUNS})
  --seed S             fast-check's seed (default random; the report prints it)
  --tool NAME          check only this tool (a tool name or a WIT function name; repeatable)
  --deterministic      call each function twice with the same arguments on fresh instances and compare
  --stateful           also run random sequences of calls on one live instance (a fresh one per sequence)
  --env K=V            give the guest an environment variable (repeatable)
  --dir HOST::GUEST    give the guest a directory; append :ro for read-only (repeatable)
  --timeout MS         time limit of each call (default ${CHECK_TIMEOUT_MS})
  --json               print the report as JSON (for CI)
  --replay JSON        run these calls ([{"tool", "args"}...], as a report prints them) in order on one
                       fresh instance, print each answer; exit code 1 when one of them fails
  --log-level LEVEL    debug | info | warn | error | silent (default warn)
`;

const OPTIONS = {
  runs: { type: 'string', default: String(DEFAULT_RUNS) },
  seed: { type: 'string' },
  tool: { type: 'string', multiple: true, default: [] as string[] },
  deterministic: { type: 'boolean', default: false },
  stateful: { type: 'boolean', default: false },
  env: { type: 'string', multiple: true, default: [] as string[] },
  dir: { type: 'string', multiple: true, default: [] as string[] },
  timeout: { type: 'string', default: String(CHECK_TIMEOUT_MS) },
  json: { type: 'boolean', default: false },
  replay: { type: 'string' },
  'log-level': { type: 'string', default: 'warn' },
} as const;

/** A whole number in [min, max], or undefined. */
function integerFlag(text: string, min: number, max: number): number | undefined {
  if (!/^\d+$/.test(text)) return undefined;
  const n = Number(text);
  return Number.isSafeInteger(n) && n >= min && n <= max ? n : undefined;
}

/** fast-check's seed: a 32-bit signed integer. */
function seedFlag(text: string): number | undefined {
  if (!/^-?\d+$/.test(text)) return undefined;
  const n = Number(text);
  return n >= -(2 ** 31) && n < 2 ** 31 ? n : undefined;
}

/** A progress line on stderr, redrawn in place; only on a terminal. */
function progressLine(io: CommandIo): { update: (text: string) => void; clear: () => void } {
  const tty = (io.stderr as { isTTY?: boolean }).isTTY === true;
  let shown = false;
  return {
    update(text) {
      if (!tty) return;
      io.stderr.write(`\r\x1b[2K${text}`);
      shown = true;
    },
    clear() {
      if (shown) io.stderr.write('\r\x1b[2K');
    },
  };
}

async function replay(
  io: CommandIo,
  component: PreparedComponent,
  text: string,
  sandbox: SandboxSpec,
  timeoutMs: number,
): Promise<number> {
  const steps = parseSteps(text);
  selectTools(component.tools, [...new Set(steps.map((s) => s.tool))]);
  const result = await replaySteps(component, steps, sandbox, timeoutMs);
  for (const answer of result.answers) {
    out(io, JSON.stringify({ tool: answer.tool, [answer.ok ? 'result' : 'error']: answer.value }));
  }
  if (!result.fault) return 0;
  const { kind, message, stderr, step } = result.fault;
  if (stderr) io.stderr.write(stderr);
  return fail(io, 'check', `call ${step + 1} (${steps[step]?.tool}) failed: ${kind}: ${message}`, 1);
}

/** Runs `wasmactor check ...`; resolves to the exit code. */
export async function checkCommand(args: string[], io: CommandIo): Promise<number> {
  const parsed = parseCommand({ name: 'check', usage: checkUsage, options: OPTIONS }, args, io);
  if (typeof parsed === 'number') return parsed;
  const { values, positionals } = parsed;
  const [path, ...extra] = positionals;
  if (path === undefined || extra.length > 0) {
    return fail(io, 'check', `check takes one component path\n\n${checkUsage}`);
  }
  const runs = integerFlag(values.runs, 1, 1_000_000);
  if (runs === undefined) return fail(io, 'check', '--runs must be a whole number from 1');
  const seed = values.seed === undefined ? undefined : seedFlag(values.seed);
  if (values.seed !== undefined && seed === undefined) {
    return fail(
      io,
      'check',
      '--seed must be an integer from -2147483648 to 2147483647 (as a report prints it)',
    );
  }
  const timeoutMs = integerFlag(values.timeout, 1, 2 ** 31 - 1);
  if (timeoutMs === undefined) return fail(io, 'check', '--timeout must be a positive integer (ms)');
  const sandbox: SandboxSpec = {
    env: Object.fromEntries(values.env.map((pair) => parseEnvPair(pair, '--env'))),
    preopens: values.dir.map(parseDirFlag),
  };
  const sandboxFlags = [
    ...values.env.flatMap((e) => ['--env', e]),
    ...values.dir.flatMap((d) => ['--dir', d]),
  ];

  const component = await createRuntime().prepare({ path: resolve(path) });
  const progress = progressLine(io);
  try {
    if (values.replay !== undefined) return await replay(io, component, values.replay, sandbox, timeoutMs);
    const report: CheckReport = await checkComponent(component, {
      runs,
      ...(seed === undefined ? {} : { seed }),
      tools: values.tool,
      sandbox,
      timeoutMs,
      deterministic: values.deterministic,
      stateful: values.stateful,
      component: path,
      command: (steps, { kind }) => reproduceCommand({ path, sandboxFlags, timeoutMs }, steps, kind),
      onProgress: ({ message, progress: done, total }) =>
        progress.update(`checking ${message} ${done}/${total}`),
    });
    progress.clear();
    io.stdout.write(values.json ? `${JSON.stringify(report, null, 2)}\n` : formatReport(report));
    return report.passed ? 0 : 1;
  } finally {
    progress.clear();
    await component.dispose();
  }
}
