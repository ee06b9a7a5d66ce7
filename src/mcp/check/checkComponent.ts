/** `checkComponent`: every selected function, then (with `stateful`) random sequences of calls. */
import {
  defaultTimeoutMs,
  type PreparedComponent,
  RuntimeError,
  type ToolDefinition,
} from '../../runtime/index.ts';
import { checkFunction } from './checkFunction.ts';
import { checkSequences } from './checkSequences.ts';
import { type Fault, Runner } from './runner.ts';
import type { CheckFailure, CheckOptions, CheckReport, FunctionReport, SequenceReport } from './types.ts';

/** Runs per function when none is given. */
export const DEFAULT_RUNS = 100;
/** Longest random sequence of `stateful` when none is given. */
export const DEFAULT_SEQUENCE_LENGTH = 8;

/**
 * The tools named in `names` (tool names or WIT function names), all of them when `names` is empty.
 * An unknown name is a `RuntimeError('unknown-tool')` that lists the tools.
 */
export function selectTools(tools: ToolDefinition[], names: string[] = []): ToolDefinition[] {
  if (names.length === 0) return tools;
  return names.map((name) => {
    const found = tools.find((t) => t.name === name) ?? tools.find((t) => t.function.name === name);
    if (!found) {
      throw new RuntimeError(
        'unknown-tool',
        `the component has no tool "${name}" (its tools: ${tools.map((t) => t.name).join(', ') || 'none'})`,
      );
    }
    return found;
  });
}

/** A random 32-bit seed, as fast-check takes. */
export function randomSeed(): number {
  return Math.floor(Math.random() * 0x7fffffff);
}

/** Checks `prepared` (see `CheckOptions`); never throws for what the component does, only for bad options. */
export async function checkComponent(
  prepared: PreparedComponent,
  options: CheckOptions = {},
): Promise<CheckReport> {
  const runs = options.runs ?? DEFAULT_RUNS;
  const seed = options.seed ?? randomSeed();
  const deterministic = options.deterministic ?? false;
  const selected = selectTools(prepared.tools, options.tools);
  const runner = new Runner(
    prepared,
    options.sandbox ?? {},
    options.timeoutMs ?? defaultTimeoutMs,
    options.signal,
  );
  const total = runs * selected.length + (options.stateful ? runs : 0);
  let progress = 0;
  const tick = (message: string) => () => {
    progress += 1;
    options.onProgress?.({ message, progress, total });
  };
  const toFailure = (fault: Fault, shrunk: boolean): CheckFailure => {
    // a fault while starting an instance has no calls to repeat
    const command = fault.steps.length === 0 ? undefined : options.command?.(fault.steps, fault);
    return {
      kind: fault.kind,
      message: fault.message,
      ...fault.details,
      steps: fault.steps,
      ...(command === undefined ? {} : { command }),
      shrunk,
    };
  };

  const functions: FunctionReport[] = [];
  for (const tool of selected) {
    if (options.signal?.aborted) break;
    const report = await checkFunction(tool, {
      runner,
      tools: prepared.tools,
      runs,
      seed,
      deterministic,
      onRun: tick(tool.name),
      toFailure,
    });
    // runs a skipped or cancelled function did not make still count as done
    progress += runs - report.runs;
    functions.push(report);
  }
  let stateful: SequenceReport | undefined;
  if (options.stateful && !options.signal?.aborted) {
    // a function that fails alone is reported already; sequences look for what only state can break
    const passed = new Set(functions.filter((f) => f.status === 'passed').map((f) => f.tool));
    stateful = await checkSequences({
      runner,
      selected: selected.filter((t) => passed.has(t.name)),
      tools: prepared.tools,
      runs,
      seed,
      maxLength: options.maxSequenceLength ?? DEFAULT_SEQUENCE_LENGTH,
      onRun: tick('sequences'),
      toFailure,
    });
  }
  const cancelled =
    options.signal?.aborted === true ||
    functions.some((f) => f.status === 'cancelled') ||
    stateful?.status === 'cancelled';
  const failed = functions.some((f) => f.status === 'failed') || stateful?.status === 'failed';
  return {
    component: options.component ?? prepared.sha256,
    seed,
    runs,
    deterministic,
    functions,
    ...(stateful ? { stateful } : {}),
    passed: !failed && !cancelled,
    cancelled,
  };
}
