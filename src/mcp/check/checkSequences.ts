/**
 * `--stateful`: random sequences of calls on one live instance, every sequence on a fresh one. fast-check
 * shrinks a failing sequence by dropping calls and shrinking arguments, so the report shows the shortest
 * sequence it found that fails the same way.
 */
import fc from 'fast-check';
import type { ToolDefinition } from '../../runtime/index.ts';
import { type PlannedCall, plannedCallArbitrary } from './plannedCall.ts';
import { Cancelled, Fault, type Runner } from './runner.ts';
import type { CallStep, CheckFailure, SequenceReport } from './types.ts';

/** How the sequences are checked. */
export interface SequenceCheck {
  runner: Runner;
  /** The tools that sequences are drawn from (those that passed alone). */
  selected: ToolDefinition[];
  /** Every tool of the component (constructors are found among them). */
  tools: ToolDefinition[];
  runs: number;
  seed: number;
  maxLength: number;
  onRun: () => void;
  toFailure: (fault: Fault, shrunk: boolean) => CheckFailure;
}

/** Runs `sequence` on a fresh instance; throws the first `Fault`. */
function runSequence(runner: Runner, sequence: PlannedCall[]): Promise<void> {
  return runner.withInstance(async (instance) => {
    const steps: CallStep[] = [];
    for (const plan of sequence) await runner.runPlan(instance, plan, steps);
  });
}

/** Checks random sequences of calls of the selected tools. */
export async function checkSequences(check: SequenceCheck): Promise<SequenceReport> {
  const started = performance.now();
  const usable = check.selected.flatMap((tool) => {
    const plans = plannedCallArbitrary(tool, check.tools);
    return typeof plans === 'string' ? [] : [{ tool, plans }];
  });
  const base = { tools: usable.map((u) => u.tool.name) };
  const done = (rest: Omit<SequenceReport, 'tools' | 'durationMs'>): SequenceReport => ({
    ...base,
    ...rest,
    durationMs: Math.round(performance.now() - started),
  });
  if (usable.length === 0) return done({ status: 'passed', runs: 0 });

  const sequences = fc.array(fc.oneof(...usable.map((u) => u.plans)), {
    minLength: 1,
    maxLength: check.maxLength,
  });
  let runs = 0;
  let kind: Fault['kind'] | undefined;
  const shrinking = () => kind !== undefined;
  const details = await fc.check(
    fc.asyncProperty(sequences, async (sequence) => {
      const counted = !shrinking();
      if (counted) runs += 1;
      try {
        await runSequence(check.runner, sequence);
      } catch (error) {
        if (!(error instanceof Fault)) throw error;
        // while shrinking, a sequence that fails another way does not count: keep the kind found first
        if (kind !== undefined && error.kind !== kind) return;
        kind = error.kind;
        throw error;
      } finally {
        if (counted) check.onRun();
      }
    }),
    { numRuns: check.runs, seed: check.seed },
  );
  if (!details.failed) return done({ status: 'passed', runs });
  if (details.errorInstance instanceof Cancelled) return done({ status: 'cancelled', runs });
  if (!(details.errorInstance instanceof Fault)) throw details.errorInstance;
  return done({ status: 'failed', runs, failure: check.toFailure(details.errorInstance, true) });
}
