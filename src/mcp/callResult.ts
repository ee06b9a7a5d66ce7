/**
 * Turns the outcome of a component call that returned into an MCP `CallToolResult` (failures go through
 * `errorToResult`):
 *
 * - a value: `structuredContent: {result}` and the same value as JSON text in `content[0]`;
 * - a WIT `err`: `isError: true`, `structuredContent: {result: {err}}` and `{"err": ...}` as text.
 *
 * Results are capped and sent once (`ResultLimits`): the size of the value's JSON is measured before
 * anything is built from it; a value over `maxBytes` is refused with `isError` (the call itself ran), and
 * a value over `inlineBytes` is sent only in `structuredContent`, `content[0]` saying where it is and how
 * big, instead of repeating it (a 10 MiB string used to become a 20 MiB answer).
 *
 * Guest stdout/stderr captured during the call travel in `_meta["wasmactor/output"]`
 * (`{stdout, stderr, truncated}`, present only when the guest wrote something), and each non-empty
 * stream is also appended as a text content item that starts with `[stdout]` or `[stderr]`, so a model
 * that only reads `content` sees it too. Nothing a guest writes ever reaches the server's stdout. The
 * sandbox keeps at most 64 KiB per stream per call (`DEFAULT_OUTPUT_LIMIT`), so output does not count
 * against the result cap: both streams, in text and in `_meta`, add at most 256 KiB of text (1.5 MiB of
 * JSON in the worst case, where every byte is a control character that JSON escapes in six).
 */
import type { CallToolResult } from '@modelcontextprotocol/server';
import type { CallOutcome, CapturedOutput } from '../runtime/index.ts';
import { parseMemoryQuantity } from '../runtime/policy/index.ts';
import { jsonByteLength } from './jsonSize.ts';

/** How much of a call's value is sent back, and how. */
export interface ResultLimits {
  /** Largest value a call may return, in bytes of its JSON; a larger one is refused with `isError`. */
  maxBytes: number;
  /** Largest value also repeated as JSON text in `content[0]`; a larger one is sent once, in `structuredContent`. */
  inlineBytes: number;
}

/** Default `--max-result-size`: well under the 10 MiB that MCP SDK clients read by default. */
export const DEFAULT_MAX_RESULT_BYTES = 4 * 1024 * 1024;

/** Values up to this size keep the JSON text copy in `content[0]` that the MCP spec recommends. */
export const DEFAULT_INLINE_RESULT_BYTES = 1024 * 1024;

/** The limits a server has when none are given. */
export const DEFAULT_RESULT_LIMITS: ResultLimits = {
  maxBytes: DEFAULT_MAX_RESULT_BYTES,
  inlineBytes: DEFAULT_INLINE_RESULT_BYTES,
};

const UNITS: [number, string][] = [
  [2 ** 30, 'GiB'],
  [2 ** 20, 'MiB'],
  [2 ** 10, 'KiB'],
];

/** `10485762` -> `10485762 bytes (10 MiB)`: exact, and readable. */
export function formatSize(bytes: number): string {
  const unit = UNITS.find(([size]) => bytes >= size);
  if (!unit) return `${bytes} bytes`;
  return `${bytes} bytes (${Number((bytes / unit[0]).toFixed(1))} ${unit[1]})`;
}

/**
 * `--max-result-size` as bytes: a number of bytes or a quantity such as `4Mi`, `16M`, `1Gi` (the memory
 * quantities of policy files), at least 64Ki; the message to print when it is not one.
 */
export function parseMaxResultSize(text: string): number | string {
  const checked = parseMemoryQuantity(text);
  if (checked.ok) return checked.value;
  // The value is the user's own command line: naming it is safe and helps.
  return `--max-result-size takes a number of bytes or a quantity such as 4Mi or 16Mi, at least 64Ki: ${JSON.stringify(text)} is not one (${checked.problem})`;
}

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

/** The refusal of a value over the cap: what, how big, the limit, and the flag that raises it. */
function tooLarge(tool: string, size: number, limits: ResultLimits): CallToolResult {
  const text =
    `The result of ${tool} is at least ${formatSize(size)} of JSON, over the limit of ` +
    `${formatSize(limits.maxBytes)} on results, so it was not sent (the call itself ran). Ask the ` +
    'component for less, or start the server with a larger --max-result-size (e.g. --max-result-size 16Mi; ' +
    'clients read at most 10 MiB per message by default).';
  return { content: [{ type: 'text', text }], isError: true };
}

/** What `content[0]` says instead of repeating a value over `inlineBytes`. */
function sentOnce(size: number, limits: ResultLimits, ok: boolean): string {
  const what = ok ? 'The result' : 'The error (a WIT err)';
  return (
    `${what} is ${formatSize(size)} of JSON, sent once, in structuredContent.result: values over ` +
    `${formatSize(limits.inlineBytes)} are not repeated in this text.`
  );
}

/**
 * The result of a call of `tool` that returned (a value or a WIT `err`), within `limits`. The JSON size
 * is measured once, without serializing; only a value small enough to be repeated as text is serialized
 * here (the SDK serializes `structuredContent` itself when it sends the answer).
 */
export function outcomeToResult(
  outcome: CallOutcome,
  tool = 'this tool',
  limits: ResultLimits = DEFAULT_RESULT_LIMITS,
): CallToolResult {
  // The runtime hands a WIT `err` over in its JSON form, `{err: payload}` (`errorPayloadToJson`), which is
  // also what the output schema `{result: {ok} | {err}}` expects.
  const result = outcome.ok ? (outcome.value ?? null) : outcome.error;
  const size = jsonByteLength(result, limits.maxBytes);
  if (size > limits.maxBytes) return withOutput(tooLarge(tool, size, limits), outcome.output);
  const text = size <= limits.inlineBytes ? JSON.stringify(result) : sentOnce(size, limits, outcome.ok);
  return withOutput(
    {
      content: [{ type: 'text', text }],
      structuredContent: { result },
      ...(outcome.ok ? {} : { isError: true }),
    },
    outcome.output,
  );
}
