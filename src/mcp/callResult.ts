/**
 * Turns the outcome of a component call that returned into an MCP `CallToolResult` (failures go through
 * `errorToResult`):
 *
 * - a value: `structuredContent: {result}` and the same value as JSON text in `content[0]`;
 * - a WIT `err`: `isError: true`, `structuredContent: {result: {err}}` and `{"err": ...}` as text.
 *
 * Guest stdout/stderr captured during the call travel in `_meta["wasmactor/output"]`
 * (`{stdout, stderr, truncated}`, present only when the guest wrote something), and each non-empty
 * stream is also appended as a text content item that starts with `[stdout]` or `[stderr]`, so a model
 * that only reads `content` sees it too. Nothing a guest writes ever reaches the server's stdout.
 */
import type { CallToolResult } from '@modelcontextprotocol/server';
import type { CallOutcome, CapturedOutput } from '../runtime/index.ts';

/** The `_meta` key of captured guest output. */
export const OUTPUT_META_KEY = 'wasmactor/output';

/** `result` with the guest's captured output added (as text items and under `_meta`), when there is any. */
export function withOutput(result: CallToolResult, output: CapturedOutput | undefined): CallToolResult {
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
  // The runtime hands a WIT `err` over in its JSON form, `{err: payload}` (`errorPayloadToJson`), which is
  // also what the output schema `{result: {ok} | {err}}` expects.
  const result = outcome.ok ? (outcome.value ?? null) : outcome.error;
  return withOutput(
    {
      content: [{ type: 'text', text: JSON.stringify(result) }],
      structuredContent: { result },
      ...(outcome.ok ? {} : { isError: true }),
    },
    outcome.output,
  );
}
