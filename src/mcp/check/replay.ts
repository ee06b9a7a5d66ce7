/** `wasmactor check --replay`: the calls of a reported failure, in order, on one fresh instance. */
import {
  type Json,
  type JsonObject,
  type PreparedComponent,
  RuntimeError,
  type SandboxSpec,
} from '../../runtime/index.ts';
import { Fault, Runner } from './runner.ts';
import type { CallStep, FailureKind } from './types.ts';

/** What each call answered, and the fault that ended the replay, if one did. */
export interface ReplayResult {
  answers: { tool: string; ok: boolean; value: Json }[];
  fault?: { kind: FailureKind; message: string; stderr?: string; step: number };
}

/** Parses the JSON of `--replay`: an array of `{tool, args}`. */
export function parseSteps(text: string): CallStep[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new RuntimeError('invalid-argument', `--replay must be JSON (${(error as Error).message})`);
  }
  const isStep = (s: unknown): s is CallStep =>
    typeof s === 'object' &&
    s !== null &&
    typeof (s as CallStep).tool === 'string' &&
    typeof (s as CallStep).args === 'object' &&
    (s as CallStep).args !== null &&
    !Array.isArray((s as CallStep).args);
  if (!Array.isArray(parsed) || parsed.length === 0 || !parsed.every(isStep)) {
    throw new RuntimeError(
      'invalid-argument',
      `--replay must be a non-empty array of {"tool": NAME, "args": {...}}, as a check report prints it`,
    );
  }
  return parsed;
}

/** Runs `steps` in order on one fresh instance; stops at the first fault. */
export async function replaySteps(
  prepared: PreparedComponent,
  steps: CallStep[],
  sandbox: SandboxSpec,
  timeoutMs: number,
): Promise<ReplayResult> {
  const runner = new Runner(prepared, sandbox, timeoutMs, undefined);
  const answers: ReplayResult['answers'] = [];
  try {
    await runner.withInstance(async (instance) => {
      const done: CallStep[] = [];
      for (const step of steps) {
        const answer = await runner.runPlan(
          instance,
          { tool: step.tool, args: step.args as JsonObject, handles: [] },
          done,
        );
        answers.push({ tool: step.tool, ok: answer.ok, value: answer.json });
      }
    });
  } catch (error) {
    if (!(error instanceof Fault)) throw error;
    return {
      answers,
      fault: {
        kind: error.kind,
        message: error.message,
        ...(error.details.stderr ? { stderr: error.details.stderr } : {}),
        step: answers.length,
      },
    };
  }
  return { answers };
}
