/**
 * The one mapping from an error's code to a tool result: every code of every layer reaches a result with
 * `isError: true` and the message chosen by its code. The tables are typed against each layer's code
 * union, so a code added without a row here stops `tsc`.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { MachineError, type MachineErrorCode } from '../../src/machines/index.ts';
import {
  errorToResult,
  McpError,
  type McpErrorCode,
  OUTPUT_META_KEY,
  outcomeToResult,
} from '../../src/mcp/index.ts';
import { type CapturedOutput, RuntimeError, type RuntimeErrorCode } from '../../src/runtime/index.ts';

const text = (result: { content: { type: string; text?: string }[] }) => result.content[0]?.text;
const TOOL = 'increment';
const ADVICE_LOAD_AGAIN = `Load the component again with load-component to use "${TOOL}".`;

/** message -> what the user reads, per machine code (for a call of TOOL). */
const machineRows = {
  'state-lost': (m) => m,
  fault: (m) => `${m}. The next call gets a fresh instance.`,
  unloaded: (m) => `${m}. ${ADVICE_LOAD_AGAIN}`,
  'unknown-tool': (m) => `${m}. ${ADVICE_LOAD_AGAIN}`,
  'load-failed': (m) => `${m}. Fix the component and load it again with load-component.`,
  'call-failed': (m) => m,
  cancelled: (m) => m,
  stopped: (m) => m,
  loading: (m) => m,
  'not-stateful': (m) => m,
  'instance-limit': (m) => m,
  'instance-ended': (m) => m,
  'instance-unknown': (m) => m,
} satisfies Record<MachineErrorCode, (message: string) => string>;

const runtimeRows = {
  'not-found': (m) => m,
  'not-wasm': (m) => m,
  'not-a-file': (m) => m,
  'too-large': (m) => m,
  'core-module': (m) => m,
  truncated: (m) => m,
  'invalid-component': (m) => m,
  'unknown-tool': (m) => m,
  'invalid-argument': (m) => `Invalid arguments for tool ${TOOL}: ${m}`,
  trap: (m) => m,
  exit: (m) => m,
  timeout: (m) => m,
  cancelled: (m) => m,
  'missing-import': (m) => m,
  'instance-gone': (m) => m,
  'host-error': (m) => m,
  'invalid-policy': (m) => m,
} satisfies Record<RuntimeErrorCode, (message: string) => string>;

const mcpCodes = {
  'bad-path': true,
  'invalid-id': true,
  'not-loaded': true,
  'broken-entry': true,
  'store-failed': true,
  'policy-unreadable': true,
  'secrets-unreadable': true,
  'examples-failed': true,
  'bad-instance': true,
  'load-cancelled': true,
  'http-config': true,
  'source-unreachable': true,
  'source-not-found': true,
  'source-denied': true,
  'source-invalid': true,
  'source-too-large': true,
  'source-timeout': true,
  'digest-mismatch': true,
  'bad-manifest': true,
  'manifest-owned': true,
} satisfies Record<McpErrorCode, true>;

const output: CapturedOutput = { stdout: 'partial answer', stderr: 'oops', truncated: false };

afterEach(() => {
  vi.restoreAllMocks();
});

describe('errorToResult', () => {
  it.each(Object.entries(machineRows))('maps MachineError %s to its message and advice', (code, expected) => {
    const message = `component counter: something about ${code}`;
    const result = errorToResult(new MachineError(code as MachineErrorCode, message), TOOL);
    expect(result.isError).toBe(true);
    expect(result.content).toHaveLength(1);
    expect(text(result)).toBe(expected(message));
  });

  it.each(Object.entries(runtimeRows))('maps RuntimeError %s to its message', (code, expected) => {
    const message = `the runtime says ${code}`;
    const result = errorToResult(new RuntimeError(code as RuntimeErrorCode, message), TOOL);
    expect(result.isError).toBe(true);
    expect(text(result)).toBe(expected(message));
  });

  it.each(Object.keys(mcpCodes))('maps McpError %s to its own message (it names the fix)', (code) => {
    const message = `a problem of kind ${code}; do this to fix it`;
    const result = errorToResult(new McpError(code as McpErrorCode, message), TOOL);
    expect(result).toEqual({ content: [{ type: 'text', text: message }], isError: true });
  });

  it('decides by code, not by text: a fault whose message mentions a fresh instance still gets the advice', () => {
    const message = 'component c: the fresh instance trapped';
    expect(text(errorToResult(new MachineError('fault', message), TOOL))).toBe(
      `${message}. The next call gets a fresh instance.`,
    );
  });

  it('names the arguments when the runtime refused them inside a call-failed', () => {
    const cause = new RuntimeError('invalid-argument', 'argument "n": expected an integer');
    const result = errorToResult(new MachineError('call-failed', cause.message, { cause }), TOOL);
    expect(text(result)).toBe(`Invalid arguments for tool ${TOOL}: argument "n": expected an integer`);
  });

  it('says that an unload cancelled a load, for load-component', () => {
    const result = errorToResult(
      new MachineError('unloaded', 'the load was abandoned'),
      'load-component',
      'Cannot load /x/a.wasm',
    );
    expect(text(result)).toBe('Cannot load /x/a.wasm: the load was cancelled by unload-component.');
  });

  it('puts the prefix before the message', () => {
    const result = errorToResult(
      new McpError('not-loaded', 'No component "x" is loaded.'),
      'get-policy',
      'Cannot',
    );
    expect(text(result)).toBe('Cannot: No component "x" is loaded.');
  });

  it('keeps the guest output written before a fault, from the runtime error or the machine error around it', () => {
    const fault = new RuntimeError('trap', 'the component trapped', { output });
    for (const error of [fault, new MachineError('state-lost', 'lost', { cause: fault })]) {
      const result = errorToResult(error, TOOL);
      expect(result._meta?.[OUTPUT_META_KEY]).toEqual(output);
      expect(result.content.map((c) => (c as { text: string }).text).slice(1)).toEqual([
        '[stdout]\npartial answer',
        '[stderr]\noops',
      ]);
    }
  });

  it('answers an error without a code with its message, and logs that one slipped through', () => {
    const written = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    const result = errorToResult(new Error('plain trouble'), TOOL);
    expect(result).toEqual({ content: [{ type: 'text', text: 'plain trouble' }], isError: true });
    expect(written.mock.calls.map((c) => String(c[0])).join('')).toContain('an error without a code');
  });
});

describe('outcomeToResult', () => {
  const none: CapturedOutput = { stdout: '', stderr: '', truncated: false };

  it('answers a value as structuredContent.result and as JSON text', () => {
    const result = outcomeToResult({ ok: true, value: { n: 1 }, output: none, durationMs: 1 });
    expect(result).toEqual({
      content: [{ type: 'text', text: '{"n":1}' }],
      structuredContent: { result: { n: 1 } },
    });
  });

  it("answers a WIT err as isError with the runtime's {err} form, unchanged", () => {
    const result = outcomeToResult({
      ok: false,
      error: { err: 'no such note' },
      output: none,
      durationMs: 1,
    });
    expect(result).toEqual({
      content: [{ type: 'text', text: '{"err":"no such note"}' }],
      structuredContent: { result: { err: 'no such note' } },
      isError: true,
    });
  });
});
