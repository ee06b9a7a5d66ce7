/**
 * Turns the outcome of a component call into an MCP `CallToolResult`.
 *
 * - a value: `structuredContent: {result}` and the same value as JSON text in `content[0]`;
 * - a WIT `err`: `isError: true`, `structuredContent: {result: {err}}` and `{"err": ...}` as text;
 * - a fault (trap, time-out, ...): `isError: true` and a message that says what happened and what now.
 *
 * Guest stdout/stderr captured during the call travel in `_meta["wasmactor/output"]`
 * (`{stdout, stderr, truncated}`, present only when the guest wrote something), and each non-empty
 * stream is also appended as a text content item that starts with `[stdout]` or `[stderr]`, so a model
 * that only reads `content` sees it too. Nothing a guest writes ever reaches the server's stdout.
 */
import type { CallToolResult } from '@modelcontextprotocol/server';
import { MachineError } from '../machines/index.ts';
import { type CallOutcome, type CapturedOutput, type Json, RuntimeError } from '../runtime/index.ts';
import { joinSentences } from './messageText.ts';

/** The `_meta` key of captured guest output. */
export const OUTPUT_META_KEY = 'wasmactor/output';

function json(value: Json): string {
  return JSON.stringify(value);
}

function withOutput(result: CallToolResult, output: CapturedOutput | undefined): CallToolResult {
  if (!output || (output.stdout === '' && output.stderr === '' && !output.truncated)) return result;
  const content = [...result.content];
  const mark = output.truncated ? ' (truncated)' : '';
  if (output.stdout !== '') content.push({ type: 'text', text: `[stdout${mark}]\n${output.stdout}` });
  if (output.stderr !== '') content.push({ type: 'text', text: `[stderr${mark}]\n${output.stderr}` });
  return {
    ...result,
    content,
    _meta: { ...result._meta, [OUTPUT_META_KEY]: { ...output } },
  };
}

/** The result of a call that returned (a value or a WIT `err`). */
export function outcomeToResult(outcome: CallOutcome): CallToolResult {
  if (outcome.ok) {
    const value = outcome.value ?? null;
    return withOutput(
      { content: [{ type: 'text', text: json(value) }], structuredContent: { result: value } },
      outcome.output,
    );
  }
  // The runtime hands over the result in its JSON form (`{err: payload}`); a bare payload is wrapped.
  const error = outcome.error ?? null;
  const isWrapped =
    error !== null &&
    typeof error === 'object' &&
    !Array.isArray(error) &&
    Object.keys(error).join() === 'err';
  const err = isWrapped ? error : { err: error };
  return withOutput(
    { content: [{ type: 'text', text: json(err) }], structuredContent: { result: err }, isError: true },
    outcome.output,
  );
}

function runtimeCause(error: unknown): RuntimeError | undefined {
  if (error instanceof RuntimeError) return error;
  if (error instanceof Error && error.cause instanceof RuntimeError) return error.cause;
  return undefined;
}

/** The message for arguments the runtime refused before entering the guest; undefined for other causes. */
function invalidArguments(tool: string, cause: RuntimeError | undefined): string | undefined {
  return cause?.code === 'invalid-argument'
    ? `Invalid arguments for tool ${tool}: ${cause.message}`
    : undefined;
}

/** A user-facing message for a failed call, with what to do next. */
export function failureMessage(tool: string, error: unknown): string {
  const cause = runtimeCause(error);
  const message = error instanceof Error ? error.message : String(error);
  if (error instanceof MachineError) {
    switch (error.code) {
      case 'state-lost':
        return /fresh instance/i.test(message)
          ? message
          : joinSentences(
              message,
              'The stateful instance was discarded with its state; the next call starts from a fresh instance.',
            );
      case 'fault':
        return /fresh instance/i.test(message)
          ? message
          : joinSentences(message, 'The next call gets a fresh instance.');
      case 'unloaded':
      case 'unknown-tool':
        return joinSentences(message, `Load the component again with load-component to use "${tool}".`);
      case 'load-failed':
        return joinSentences(message, 'Fix the component and load it again with load-component.');
      // The runtime refused the call before entering the guest; the actor wraps its error.
      case 'call-failed':
        return invalidArguments(tool, cause) ?? message;
      default:
        return message;
    }
  }
  return invalidArguments(tool, cause) ?? message;
}

/** The message of a `load-component` of `path` that failed. */
export function loadFailureMessage(path: string, error: unknown): string {
  // The component actor rejects the waiting load with `unloaded` when an unload comes first.
  if (error instanceof MachineError && error.code === 'unloaded') {
    return `Cannot load ${path}: the load was cancelled by unload-component.`;
  }
  return `Cannot load ${path}: ${failureMessage('load-component', error)}`;
}

/** What the guest wrote before a failed call failed, when the runtime kept it. */
export function failureOutput(error: unknown): CapturedOutput | undefined {
  return runtimeCause(error)?.output;
}

/** The result of a call that failed without an answer from the guest. */
export function failureToResult(tool: string, error: unknown): CallToolResult {
  return withOutput(
    { content: [{ type: 'text', text: failureMessage(tool, error) }], isError: true },
    runtimeCause(error)?.output,
  );
}
