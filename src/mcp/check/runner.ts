/**
 * Runs planned calls through the real runtime and sandbox and turns every way they can go wrong into a
 * `Fault`: a guest fault (trap, exit, time-out), an answer that does not match the declared type, or a
 * host error. A WIT `err` answer is a normal answer.
 */
import {
  type CallOutcome,
  type ComponentInstance,
  type Json,
  type PreparedComponent,
  RuntimeError,
  resultMismatch,
  type SandboxSpec,
  type ToolDefinition,
} from '../../runtime/index.ts';
import type { PlannedCall } from './plannedCall.ts';
import type { CallStep, FailureKind } from './types.ts';

/** A failed call or sequence, with the calls that were made up to and including the failing one. */
export class Fault extends Error {
  constructor(
    readonly kind: FailureKind,
    message: string,
    readonly steps: CallStep[],
    readonly details: { stderr?: string; exitCode?: number } = {},
  ) {
    super(message);
  }
}

/** The check was cancelled (its signal aborted). */
export class Cancelled extends Error {
  constructor() {
    super('the check was cancelled');
  }
}

/** What a successful call answered: `ok` false for a WIT `err`. */
export interface Answer {
  ok: boolean;
  json: Json;
  steps: CallStep[];
}

const FAULT_KINDS: Partial<Record<RuntimeError['code'], FailureKind>> = {
  trap: 'trap',
  timeout: 'timeout',
  exit: 'exit',
  'missing-import': 'missing-import',
};

/** The least time an instantiation gets, whatever the calls' time limit. */
const INSTANTIATE_TIMEOUT_MS = 10_000;

/** Calls the tools of one prepared component in fresh instances of one sandbox. */
export class Runner {
  readonly #tools: Map<string, ToolDefinition>;

  constructor(
    readonly prepared: PreparedComponent,
    readonly sandbox: SandboxSpec,
    readonly timeoutMs: number,
    readonly signal: AbortSignal | undefined,
  ) {
    this.#tools = new Map(prepared.tools.map((t) => [t.name, t]));
  }

  #options() {
    return { timeoutMs: this.timeoutMs, ...(this.signal ? { signal: this.signal } : {}) };
  }

  /** Throws `Cancelled` when the check was cancelled. */
  checkCancelled(): void {
    if (this.signal?.aborted) throw new Cancelled();
  }

  /** Runs `plan` on a fresh instance (a pooled one-call instance when it takes no handles). */
  async runFresh(plan: PlannedCall): Promise<Answer> {
    this.checkCancelled();
    if (plan.handles.length === 0) {
      const step = { tool: plan.tool, args: plan.args };
      return this.#answer(step, [step], () =>
        this.prepared.callOnce(plan.tool, plan.args, this.sandbox, this.#options()),
      );
    }
    return this.withInstance((instance) => this.runPlan(instance, plan, []));
  }

  /** Runs `work` on a new instance that is disposed afterwards. */
  async withInstance<T>(work: (instance: ComponentInstance) => Promise<T>): Promise<T> {
    this.checkCancelled();
    let instance: ComponentInstance;
    try {
      // starting a worker takes 100-300 ms, more on a busy machine: a short --timeout is for the calls
      instance = await this.prepared.instantiate(this.sandbox, {
        ...this.#options(),
        timeoutMs: Math.max(this.timeoutMs, INSTANTIATE_TIMEOUT_MS),
      });
    } catch (error) {
      throw this.#fault(error, []);
    }
    try {
      return await work(instance);
    } finally {
      await instance.dispose();
    }
  }

  /** Runs `plan` on `instance`: its constructors first (their handles fill its handle parameters). */
  async runPlan(instance: ComponentInstance, plan: PlannedCall, steps: CallStep[]): Promise<Answer> {
    const args = { ...plan.args };
    for (const { param, ctor } of plan.handles) {
      const made = await this.runPlan(instance, ctor, steps);
      args[param] = made.json;
    }
    this.checkCancelled();
    const step = { tool: plan.tool, args };
    steps.push(step);
    return this.#answer(step, steps, () => instance.call(plan.tool, args, this.#options()));
  }

  async #answer(step: CallStep, steps: CallStep[], call: () => Promise<CallOutcome>): Promise<Answer> {
    let outcome: CallOutcome;
    try {
      outcome = await call();
    } catch (error) {
      throw this.#fault(error, steps);
    }
    const json = outcome.ok ? outcome.value : outcome.error;
    const tool = this.#tools.get(step.tool);
    const problem = tool && resultMismatch(tool.function, outcome.ok, json);
    if (problem) {
      throw new Fault('bad-result', `${step.tool} answered ${JSON.stringify(json)}: ${problem}`, [...steps], {
        ...(outcome.output.stderr ? { stderr: outcome.output.stderr } : {}),
      });
    }
    return { ok: outcome.ok, json, steps: [...steps] };
  }

  #fault(error: unknown, steps: CallStep[]): Error {
    if (this.signal?.aborted) return new Cancelled();
    if (!(error instanceof RuntimeError)) {
      return new Fault('host-error', error instanceof Error ? error.message : String(error), [...steps]);
    }
    const stderr = error.output?.stderr;
    const kind = FAULT_KINDS[error.code];
    // a host error keeps the runtime's code in its message (invalid-argument, instance-gone...)
    return new Fault(
      kind ?? 'host-error',
      kind ? error.message : `${error.code}: ${error.message}`,
      [...steps],
      {
        ...(stderr ? { stderr } : {}),
        ...(error.exitCode === undefined ? {} : { exitCode: error.exitCode }),
      },
    );
  }
}
