/** The shapes of a `wasmactor check` run: what it is asked, what it reports. */
import type { JsonObject, SandboxSpec } from '../../runtime/index.ts';

/** How a call (or a sequence of calls) failed. A WIT `err` answer is not a failure. */
export type FailureKind =
  | 'trap'
  | 'timeout'
  | 'exit'
  | 'bad-result'
  | 'nondeterministic'
  | 'missing-import'
  | 'host-error';

/** One call of a reproduction: a tool of the component and its JSON arguments. */
export interface CallStep {
  tool: string;
  args: JsonObject;
}

/** A failure, with fast-check's shrunk counterexample. */
export interface CheckFailure {
  kind: FailureKind;
  /** The guest's message (trap, exit), the mismatch, or the two different answers. */
  message: string;
  /** What the guest wrote to stderr during the failing call. */
  stderr?: string;
  exitCode?: number;
  /** The failing calls in order, on one fresh instance (one step for a plain function). */
  steps: CallStep[];
  /** A command line that reproduces it (when the component's path is known). */
  command?: string;
  /** False when the failure did not happen again on the replay that shrinks it (so it was not shrunk). */
  shrunk: boolean;
}

/** Counts of what the runs of one function gave. */
export interface OutcomeCounts {
  /** Answers that matched the declared type. */
  ok: number;
  /** WIT `err` answers (normal answers, counted apart). */
  err: number;
  trap: number;
  timeout: number;
  exit: number;
  badResult: number;
  nondeterministic: number;
  other: number;
}

/** The report of one exported function. */
export interface FunctionReport {
  tool: string;
  /** The WIT function name (`[method]counter.get` for a method). */
  function: string;
  status: 'passed' | 'failed' | 'skipped' | 'cancelled';
  runs: number;
  counts: OutcomeCounts;
  /** Why it was not checked (`skipped`). */
  reason?: string;
  failure?: CheckFailure;
  durationMs: number;
}

/** The report of the `--stateful` run: random sequences, each on a fresh instance. */
export interface SequenceReport {
  status: 'passed' | 'failed' | 'cancelled';
  runs: number;
  /** The tools sequences were drawn from: the selected ones that passed when called alone. */
  tools: string[];
  /** The shortest failing sequence found. */
  failure?: CheckFailure;
  durationMs: number;
}

/** Everything a check found. */
export interface CheckReport {
  component: string;
  seed: number;
  runs: number;
  deterministic: boolean;
  functions: FunctionReport[];
  stateful?: SequenceReport;
  /** True when nothing failed (skipped functions do not fail a check). */
  passed: boolean;
  cancelled: boolean;
}

/** What to check and how. */
export interface CheckOptions {
  /** Runs per function, and sequences for `stateful` (default 100). */
  runs?: number;
  /** fast-check's seed (default: random); the report says which one was used. */
  seed?: number;
  /** Tool names (or WIT function names) to check; default every exported function. */
  tools?: string[];
  sandbox?: SandboxSpec;
  /** Time limit of each call in ms. */
  timeoutMs?: number;
  /** Also call every function twice with the same arguments on fresh instances, and compare. */
  deterministic?: boolean;
  /** Also run random sequences of calls on one live instance (of the functions that passed alone). */
  stateful?: boolean;
  /** Longest sequence of `stateful` (default 8). */
  maxSequenceLength?: number;
  signal?: AbortSignal;
  onProgress?: (step: { message: string; progress: number; total: number }) => void;
  /**
   * Turns a failure's steps into a command line that reproduces it; without it failures carry no
   * `command`. `timeoutMs` is set for a time-out.
   */
  command?: (steps: CallStep[], failure: { kind: FailureKind }) => string;
  /** The component's name in the report (its path). */
  component?: string;
}
