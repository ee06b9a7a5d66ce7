/**
 * The checker against fake components (no WebAssembly): answers that do not match the declared type are
 * failures, shrunk like any other; a WIT err is a normal answer; the text report says what failed.
 */
import { describe, expect, it } from 'vitest';
import { checkComponent, formatReport, reproduceCommand } from '../src/mcp/check/index.ts';
import {
  type CallOutcome,
  type ExportedFunction,
  type Json,
  type JsonObject,
  type PreparedComponent,
  resultMismatch,
  toolDefinitions,
  typeMismatch,
} from '../src/runtime/index.ts';

const output = { stdout: '', stderr: '', truncated: false };

/** A component whose every call is answered by `answer`. */
function fake(
  functions: ExportedFunction[],
  answer: (tool: string, args: JsonObject) => CallOutcome,
): PreparedComponent {
  const types = { functions, imports: [] };
  return {
    sha256: 'fake',
    types,
    tools: toolDefinitions(types),
    instantiate: () => Promise.reject(new Error('not used')),
    callOnce: async (tool, args) => answer(tool, args),
    dispose: async () => {},
  };
}

const ok = (value: Json): CallOutcome => ({ ok: true, value, output, durationMs: 0 });

describe('checkComponent on answers of the wrong type', () => {
  it('reports a result outside the declared type, shrunk to the smallest failing argument', async () => {
    const count: ExportedFunction = {
      name: 'count',
      params: [{ name: 'n', type: { kind: 'u8' } }],
      result: { kind: 'u32' },
    };
    const report = await checkComponent(
      fake([count], (_tool, args) => ok((args.n as number) > 200 ? -1 : (args.n as number))),
      { runs: 100, seed: 7 },
    );
    expect(report.passed).toBe(false);
    const [f] = report.functions;
    expect(f).toMatchObject({
      status: 'failed',
      failure: { kind: 'bad-result', shrunk: true, steps: [{ tool: 'count', args: { n: 201 } }] },
    });
    expect(f?.counts.badResult).toBeGreaterThan(0);
    expect(f?.failure?.message).toMatch(/count answered -1: .*result/);
    expect(formatReport(report)).toMatch(/^count +100 .* FAIL bad-result$/m);
  });

  it('takes a WIT err as a normal answer of a function returning a result, and as a failure of any other', async () => {
    const parse: ExportedFunction = {
      name: 'parse',
      params: [{ name: 's', type: { kind: 'string' } }],
      result: { kind: 'result', ok: { kind: 'u32' }, err: { kind: 'string' } },
    };
    const plain: ExportedFunction = { name: 'plain', params: [], result: { kind: 'u32' } };
    const report = await checkComponent(
      fake([parse, plain], () => ({ ok: false, error: { err: 'no' }, output, durationMs: 0 })),
      { runs: 10, seed: 1 },
    );
    expect(report.functions.map((f) => f.status)).toEqual(['passed', 'failed']);
    expect(report.functions[0]?.counts.err).toBe(10);
    expect(report.functions[1]?.failure?.message).toMatch(
      /does not return a result, yet it answered an error/,
    );
  });
});

describe('typeMismatch and resultMismatch', () => {
  it('accepts exactly the values of the type', () => {
    expect(typeMismatch({ kind: 'u8' }, 255)).toBeUndefined();
    expect(typeMismatch({ kind: 'u8' }, 256)).toMatch(/result/);
    expect(typeMismatch({ kind: 'option', type: { kind: 'string' } }, null)).toBeUndefined();
    expect(typeMismatch(undefined, null)).toBeUndefined();
    expect(typeMismatch(undefined, 3)).toMatch(/expected null/);
    const fn: ExportedFunction = { name: 'f', params: [], result: { kind: 'result', ok: { kind: 'u8' } } };
    expect(resultMismatch(fn, true, { ok: 1 })).toBeUndefined();
    expect(resultMismatch(fn, true, { err: null })).toMatch(/a success must be \{"ok"/);
    expect(resultMismatch(fn, false, { err: null })).toBeUndefined();
  });
});

describe('reproduceCommand', () => {
  const context = {
    path: 'my dir/x.wasm',
    sandboxFlags: ['--env', 'A=B', '--dir', './d::/data:ro'],
    timeoutMs: 250,
  };

  it('prints `wasmactor call` for one call, quoted for a shell, with the sandbox flags of the check', () => {
    expect(reproduceCommand(context, [{ tool: 'greet', args: { name: "O'Brien 𝄞" } }], 'trap')).toBe(
      `wasmactor call 'my dir/x.wasm' greet --args '{"name":"O'\\''Brien 𝄞"}' --env A=B --dir ./d::/data:ro`,
    );
  });

  it('adds the time limit for a time-out, and prints --replay for several calls', () => {
    const steps = [
      { tool: 'push', args: { x: 0 } },
      { tool: 'push', args: { x: 0 } },
    ];
    expect(reproduceCommand(context, steps, 'timeout')).toBe(
      `wasmactor check 'my dir/x.wasm' --replay '${JSON.stringify(steps)}' --env A=B --dir ./d::/data:ro --timeout 250`,
    );
  });
});
