/**
 * Property-based check of one exported function: random arguments from its WIT types, each call on a
 * fresh instance. Two passes over the same seed: the first makes every run and counts what each gave;
 * when something failed, the second replays the runs up to that failure and lets fast-check shrink it
 * to the smallest arguments that fail the same way.
 */
import fc from 'fast-check';
import type { ToolDefinition } from '../../runtime/index.ts';
import { type PlannedCall, plannedCallArbitrary } from './plannedCall.ts';
import { type Answer, Cancelled, Fault, type Runner } from './runner.ts';
import type { CheckFailure, FunctionReport, OutcomeCounts } from './types.ts';

/** How one function is checked. */
export interface FunctionCheck {
  runner: Runner;
  tools: ToolDefinition[];
  runs: number;
  seed: number;
  deterministic: boolean;
  /** Called after every run of the counting pass. */
  onRun: () => void;
  toFailure: (fault: Fault, shrunk: boolean) => CheckFailure;
}

const COUNTED: Record<Fault['kind'], keyof OutcomeCounts> = {
  trap: 'trap',
  timeout: 'timeout',
  exit: 'exit',
  'bad-result': 'badResult',
  nondeterministic: 'nondeterministic',
  'missing-import': 'other',
  'host-error': 'other',
};

/** Zero of every outcome. */
export function noOutcomes(): OutcomeCounts {
  return { ok: 0, err: 0, trap: 0, timeout: 0, exit: 0, badResult: 0, nondeterministic: 0, other: 0 };
}

/** One run: the call, and with `deterministic` the same call again on another fresh instance. */
async function probe(runner: Runner, plan: PlannedCall, deterministic: boolean): Promise<Answer> {
  const first = await runner.runFresh(plan);
  if (!deterministic) return first;
  const second = await runner.runFresh(plan);
  const a = JSON.stringify({ ok: first.ok, json: first.json });
  const b = JSON.stringify({ ok: second.ok, json: second.json });
  if (a === b) return first;
  throw new Fault(
    'nondeterministic',
    `the same arguments gave different answers on two fresh instances: ${a} then ${b}`,
    first.steps,
  );
}

/** Checks one function; resolves to its report (a cancelled check reports what it did). */
export async function checkFunction(tool: ToolDefinition, check: FunctionCheck): Promise<FunctionReport> {
  const started = performance.now();
  const base = { tool: tool.name, function: tool.function.name, counts: noOutcomes() };
  const done = (
    rest: Omit<FunctionReport, 'tool' | 'function' | 'counts' | 'durationMs'>,
  ): FunctionReport => ({
    ...base,
    ...rest,
    durationMs: Math.round(performance.now() - started),
  });
  const plans = plannedCallArbitrary(tool, check.tools);
  if (typeof plans === 'string') return done({ status: 'skipped', runs: 0, reason: plans });

  const { counts } = base;
  let runs = 0;
  let first: { fault: Fault; index: number } | undefined;
  const counting = await fc.check(
    fc.asyncProperty(plans, async (plan) => {
      const index = runs++;
      try {
        const answer = await probe(check.runner, plan, check.deterministic);
        counts[answer.ok ? 'ok' : 'err'] += 1;
      } catch (error) {
        if (!(error instanceof Fault)) throw error;
        counts[COUNTED[error.kind]] += 1;
        first ??= { fault: error, index };
      } finally {
        check.onRun();
      }
    }),
    { numRuns: check.runs, seed: check.seed, endOnFailure: true },
  );
  if (counting.failed) {
    if (counting.errorInstance instanceof Cancelled) return done({ status: 'cancelled', runs });
    throw counting.errorInstance;
  }
  if (!first) return done({ status: 'passed', runs });

  const failure = await shrink(plans, first, check);
  return done({ status: failure ? 'failed' : 'cancelled', runs, ...(failure ? { failure } : {}) });
}

/** Replays the runs up to the first failure and shrinks it, keeping the kind of failure it was. */
async function shrink(
  plans: fc.Arbitrary<PlannedCall>,
  first: { fault: Fault; index: number },
  check: FunctionCheck,
): Promise<CheckFailure | undefined> {
  const kind = first.fault.kind;
  const replay = await fc.check(
    fc.asyncProperty(plans, async (plan) => {
      try {
        await probe(check.runner, plan, check.deterministic);
      } catch (error) {
        if (!(error instanceof Fault) || error.kind === kind) throw error;
      }
    }),
    { numRuns: first.index + 1, seed: check.seed },
  );
  if (replay.failed && replay.errorInstance instanceof Cancelled) return undefined;
  if (replay.failed && replay.errorInstance instanceof Fault)
    return check.toFailure(replay.errorInstance, true);
  if (replay.failed) throw replay.errorInstance;
  return check.toFailure(first.fault, false);
}
