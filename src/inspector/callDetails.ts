/**
 * What the page shows of one call: its arguments as the caller sent them, its result or error, and the
 * guest's captured stdout/stderr, each as text with the component's environment values taken out and
 * cut to a bounded length. The environment itself (where secrets live) is never shown; a value of it that
 * a guest echoes into a result or its output is replaced by the name of its variable.
 */
import { MachineError } from '../machines/index.ts';
import { type CallOutcome, RuntimeError } from '../runtime/index.ts';

/** Characters kept of each text of a call (arguments, result, error, stdout, stderr). */
export const TEXT_LIMIT = 2_048;
/** Environment values shorter than this are not hidden (they would hide `1`, `true`, ports...). */
export const MIN_HIDDEN_LENGTH = 6;

/** A text cut to `TEXT_LIMIT` characters; `omitted` counts the characters cut off. */
export interface ClippedText {
  text: string;
  omitted?: number;
}

/** The details of one call, as the log shows them. */
export interface CallDetails {
  args: ClippedText;
  /** The returned value (`ok`), or the WIT `err` payload (`err`); absent for a failed call. */
  result?: ClippedText;
  /** A WIT `err` payload or the fault / refusal message. */
  error?: ClippedText;
  stdout?: ClippedText;
  stderr?: ClippedText;
  /** The guest wrote more than the per-call output limit; the runtime kept only the start. */
  outputTruncated?: boolean;
}

/** Environment values to hide, longest first, each with the name shown instead. */
export type HiddenValues = readonly (readonly [value: string, shownAs: string])[];

/** The values of `env` worth hiding (see `MIN_HIDDEN_LENGTH`), longest first. */
export function hiddenValues(...envs: (Record<string, string> | undefined)[]): HiddenValues {
  const found = new Map<string, string>();
  for (const env of envs) {
    for (const [key, value] of Object.entries(env ?? {})) {
      if (value.length >= MIN_HIDDEN_LENGTH && !found.has(value)) found.set(value, `[env ${key}]`);
    }
  }
  return [...found].sort((a, b) => b[0].length - a[0].length);
}

/** `text` with every hidden value replaced, then cut to `limit` characters (hidden before cut: no stub of a secret survives). */
export function clip(text: string, hidden: HiddenValues, limit = TEXT_LIMIT): ClippedText {
  let shown = text;
  for (const [value, shownAs] of hidden) {
    if (shown.includes(value)) shown = shown.split(value).join(shownAs);
  }
  return shown.length <= limit
    ? { text: shown }
    : { text: shown.slice(0, limit), omitted: shown.length - limit };
}

/** A JSON value as one line of text (`undefined` -> `null`). */
export function jsonText(value: unknown): string {
  try {
    return JSON.stringify(value) ?? 'null';
  } catch {
    return String(value);
  }
}

/** The details of a call that ended with an outcome (a value or a WIT `err`). */
export function outcomeDetails(args: unknown, outcome: CallOutcome, hidden: HiddenValues): CallDetails {
  const value = clip(jsonText(outcome.ok ? outcome.value : outcome.error), hidden);
  return {
    args: clip(jsonText(args), hidden),
    ...(outcome.ok ? { result: value } : { error: value }),
    ...outputDetails(outcome.output, hidden),
  };
}

/** The message of a failed call's error. */
export function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** The details of a call that failed (fault, time-out, refusal, cancel), with what the guest wrote before. */
export function failureDetails(args: unknown, error: unknown, hidden: HiddenValues): CallDetails {
  const cause = error instanceof MachineError ? error.cause : error;
  const output = cause instanceof RuntimeError ? cause.output : undefined;
  return {
    args: clip(jsonText(args), hidden),
    error: clip(errorText(error), hidden),
    ...outputDetails(output, hidden),
  };
}

function outputDetails(
  output: CallOutcome['output'] | undefined,
  hidden: HiddenValues,
): Partial<CallDetails> {
  if (!output) return {};
  return {
    ...(output.stdout ? { stdout: clip(output.stdout, hidden) } : {}),
    ...(output.stderr ? { stderr: clip(output.stderr, hidden) } : {}),
    ...(output.truncated ? { outputTruncated: true } : {}),
  };
}
