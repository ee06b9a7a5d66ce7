/**
 * The one place where an error becomes an MCP tool result. Every error that reaches the MCP edge carries
 * a string code from the layer that raised it (`RuntimeError`, `MachineError`, `McpError`); the message
 * and the advice on what to do next are chosen by that code alone, never by reading the message text.
 */
import type { CallToolResult } from '@modelcontextprotocol/server';
import { MachineError } from '../machines/index.ts';
import { type CapturedOutput, type Denial, log, RuntimeError } from '../runtime/index.ts';
import { withOutput } from './callResult.ts';
import { McpError } from './McpError.ts';
import { joinSentences } from './messageText.ts';

/** The tool that loads components; its own failures read "the load was cancelled", not "load it again". */
const LOAD_TOOL = 'load-component';

function runtimeMessage(error: RuntimeError, tool: string): string {
  // Refused before the guest was entered: the arguments are what to fix.
  if (error.code === 'invalid-argument') return `Invalid arguments for tool ${tool}: ${error.message}`;
  return error.message;
}

function machineMessage(error: MachineError, tool: string): string {
  switch (error.code) {
    // The machine's message already says that the state was lost and that the next call starts afresh.
    case 'state-lost':
      return error.message;
    case 'fault':
      return joinSentences(error.message, 'The next call gets a fresh instance.');
    case 'unloaded':
      // An unload that came first rejects the waiting load with `unloaded`.
      if (tool === LOAD_TOOL) return 'the load was cancelled by unload-component.';
      return joinSentences(error.message, `Load the component again with load-component to use "${tool}".`);
    case 'unknown-tool':
      return joinSentences(error.message, `Load the component again with load-component to use "${tool}".`);
    case 'load-failed':
      return joinSentences(error.message, 'Fix the component and load it again with load-component.');
    // The runtime refused the call before entering the guest; the actor wraps its error.
    case 'call-failed':
      return error.cause instanceof RuntimeError ? runtimeMessage(error.cause, tool) : error.message;
    case 'cancelled':
    case 'stopped':
    // Per-agent instances: the machine's message names the problem and the fix.
    case 'loading':
    case 'not-stateful':
    case 'instance-limit':
    case 'instance-ended':
    case 'instance-unknown':
      return error.message;
  }
}

function mcpMessage(error: McpError): string {
  switch (error.code) {
    // Raised by this layer with the problem and the fix in the message.
    case 'bad-path':
    case 'invalid-id':
    case 'not-loaded':
    case 'broken-entry':
    case 'store-failed':
    case 'policy-unreadable':
    case 'secrets-unreadable':
    case 'examples-failed':
    case 'bad-instance':
    case 'load-cancelled':
    case 'http-config':
    case 'source-unreachable':
    case 'source-not-found':
    case 'source-denied':
    case 'source-invalid':
    case 'source-too-large':
    case 'source-timeout':
    case 'digest-mismatch':
    case 'bad-manifest':
    case 'manifest-owned':
      return error.message;
  }
}

/** The user-facing message for `error` raised by a call of `tool`, with what to do next. */
export function errorMessage(error: unknown, tool: string): string {
  if (error instanceof MachineError) return machineMessage(error, tool);
  if (error instanceof RuntimeError) return runtimeMessage(error, tool);
  if (error instanceof McpError) return mcpMessage(error);
  // Every layer converts what it catches into its own error class: reaching here is a bug to report.
  const message = error instanceof Error ? error.message : String(error);
  log.warn('an error without a code reached the MCP edge', { tool, error: message });
  return message;
}

/** The runtime's error behind a failed call (the machine wraps it), if the runtime raised one. */
function runtimeCause(error: unknown): RuntimeError | undefined {
  if (error instanceof RuntimeError) return error;
  if (error instanceof MachineError && error.cause instanceof RuntimeError) return error.cause;
  return undefined;
}

/** What the guest wrote before the call failed, when the runtime kept it. */
export function errorOutput(error: unknown): CapturedOutput | undefined {
  return runtimeCause(error)?.output;
}

/** What the sandbox refused before the call failed (recorded by the host, never read from guest output). */
export function errorDenials(error: unknown): Denial[] | undefined {
  return runtimeCause(error)?.denials;
}

/**
 * The tool result of a failed call of `tool`: `isError: true`, the message (after `prefix: ` when given,
 * as in "Cannot load /x.wasm: ...") and the guest output written before the failure.
 */
export function errorToResult(error: unknown, tool: string, prefix?: string): CallToolResult {
  const message = errorMessage(error, tool);
  const text = prefix === undefined ? message : `${prefix}: ${message}`;
  return withOutput({ content: [{ type: 'text', text }], isError: true }, errorOutput(error));
}
