/**
 * `wasmactor check` end to end: the `bugs` fixture's planted bugs are each found, with a shrunk
 * counterexample whose printed command line reproduces it; clean components pass with exit code 0;
 * usage errors exit with 2; the example components pass.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { buildExamples } from '../examples/build.ts';
import type { CheckReport } from '../src/mcp/check/index.ts';
import { checkCommand } from '../src/mcp/commands/checkCommand.ts';
import { fixturePath } from './helpers/fixtures.ts';
import { REPO_ROOT } from './mcp/helpers.ts';

const bin = new URL('../bin/wasmactor.js', import.meta.url).pathname;

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function settle(promise: Promise<{ stdout: string; stderr: string }>): Promise<Run> {
  return promise.then(
    ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
    (e: { code: number; stdout: string; stderr: string }) => ({
      code: e.code,
      stdout: e.stdout,
      stderr: e.stderr,
    }),
  );
}

/** The repo's transpile cache, which the other e2e tests share: each fixture is transpiled once a run. */
const env = () => ({ ...process.env, XDG_CACHE_HOME: join(REPO_ROOT, '.cache') });

/** `wasmactor ...args` in a child process. */
function wasmactor(...args: string[]): Promise<Run> {
  return settle(promisify(execFile)(process.execPath, [bin, ...args], { env: env() }));
}

/** Runs a command line exactly as a report prints it (through a shell), `wasmactor` being this checkout's. */
function runPrinted(command: string): Promise<Run> {
  expect(command.startsWith('wasmactor ')).toBe(true);
  const line = `'${process.execPath}' '${bin}' ${command.slice('wasmactor '.length)}`;
  return settle(promisify(execFile)('/bin/sh', ['-c', line], { env: env() }));
}

async function checkJson(...args: string[]): Promise<{ run: Run; report: CheckReport }> {
  const run = await wasmactor('check', ...args, '--json');
  return { run, report: JSON.parse(run.stdout) as CheckReport };
}

const bugs = () => fixturePath('bugs');

describe('wasmactor check finds the planted bugs', () => {
  it('a trap on one input range, a hang on a rare input and an exit, shrunk to the boundary, reproduced by `wasmactor call`', async () => {
    const { run, report } = await checkJson(
      bugs(),
      '--runs',
      '30',
      '--seed',
      '42',
      '--timeout',
      '300',
      '--tool',
      'scale',
      '--tool',
      'wait-for',
      '--tool',
      'quit',
      '--tool',
      'add',
    );
    expect(run.code).toBe(1);
    expect(report.seed).toBe(42);
    const [scale, waitFor, quit, add] = report.functions;
    expect(add).toMatchObject({ tool: 'add', status: 'passed', runs: 30 });
    expect(add?.counts.ok).toBe(30);

    expect(scale).toMatchObject({ status: 'failed', runs: 30, failure: { kind: 'trap', shrunk: true } });
    expect(scale?.counts.trap).toBeGreaterThan(0);
    expect((scale?.counts.trap ?? 0) + (scale?.counts.ok ?? 0)).toBe(30);
    // |n| * 1000 overflows s32 from |n| = 2147484: shrinking stops exactly there
    expect(Math.abs(scale?.failure?.steps[0]?.args.n as number)).toBe(2147484);
    const trap = await runPrinted(scale?.failure?.command ?? '');
    expect(trap.code).toBe(1);
    expect(trap.stderr).toMatch(/trap: the component trapped in scale/);

    expect(waitFor).toMatchObject({ status: 'failed', failure: { kind: 'timeout', shrunk: true } });
    expect(waitFor?.failure?.steps).toEqual([{ tool: 'wait-for', args: { n: 4294967001 } }]);
    expect(waitFor?.failure?.command).toContain('--timeout 300');
    const hang = await runPrinted(waitFor?.failure?.command ?? '');
    expect(hang.code).toBe(1);
    expect(hang.stderr).toMatch(/timed out after 300 ms/);

    expect(quit).toMatchObject({ status: 'failed', failure: { kind: 'exit', exitCode: 1, shrunk: true } });
    expect(quit?.failure?.steps).toEqual([{ tool: 'quit', args: { code: 200 } }]);
    const exit = await runPrinted(quit?.failure?.command ?? '');
    expect(exit.code).toBe(1);
    expect(exit.stderr).toMatch(/called exit with code 1 in quit/);
  }, 60_000);

  it('a non-deterministic export with --deterministic (and not without it)', async () => {
    const { run, report } = await checkJson(
      bugs(),
      '--runs',
      '10',
      '--seed',
      '1',
      '--deterministic',
      '--tool',
      'roll',
      '--tool',
      'add',
    );
    expect(run.code).toBe(1);
    expect(report.functions[0]).toMatchObject({
      tool: 'roll',
      status: 'failed',
      failure: { kind: 'nondeterministic' },
    });
    expect(report.functions[0]?.counts.nondeterministic).toBe(10);
    expect(report.functions[1]).toMatchObject({ tool: 'add', status: 'passed' });
    const command = report.functions[0]?.failure?.command ?? '';
    const [a, b] = await Promise.all([runPrinted(command), runPrinted(command)]);
    expect(a.code).toBe(0);
    expect(b.code).toBe(0);
    expect(a.stdout).not.toBe(b.stdout);

    const plain = await checkJson(bugs(), '--runs', '10', '--seed', '1', '--tool', 'roll');
    expect(plain.run.code).toBe(0);
  }, 60_000);

  it('--stateful: the shortest sequence of three calls that traps, reproduced by --replay', async () => {
    const { run, report } = await checkJson(
      bugs(),
      '--runs',
      '25',
      '--seed',
      '42',
      '--stateful',
      '--tool',
      'push',
      '--tool',
      'pop',
      '--tool',
      'quit',
    );
    expect(run.code).toBe(1);
    // push and pop pass alone, only a sequence fails; quit fails alone, so sequences leave it out
    expect(report.functions.map((f) => f.status)).toEqual(['passed', 'passed', 'failed']);
    expect(report.stateful).toMatchObject({
      status: 'failed',
      tools: ['push', 'pop'],
      failure: { kind: 'trap' },
    });
    const steps = report.stateful?.failure?.steps ?? [];
    expect(steps.map((s) => s.tool)).toEqual(['push', 'push', 'push']);
    const replay = await runPrinted(report.stateful?.failure?.command ?? '');
    expect(replay.code).toBe(1);
    expect(
      replay.stdout
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l)),
    ).toEqual([
      { tool: 'push', result: 1 },
      { tool: 'push', result: 2 },
    ]);
    expect(replay.stderr).toMatch(/call 3 \(push\) failed: trap/);
  }, 60_000);
});

describe('wasmactor check on resources', () => {
  it("gets a method's handle from the component's own constructor, and reports both calls for --replay", async () => {
    // the JS kitchen-sink traps on a negative s64 total (bytecodealliance/ComponentizeJS#343)
    const sink = fixturePath('kitchen-sink');
    const { run, report } = await checkJson(
      sink,
      '--runs',
      '3',
      '--seed',
      '1',
      '--tool',
      'local_kitchen_types_accumulator_total',
    );
    expect(run.code).toBe(1);
    expect(report.functions[0]?.failure?.steps).toEqual([
      { tool: 'local_kitchen_types_accumulator_new', args: { start: -1 } },
      { tool: 'local_kitchen_types_accumulator_total', args: { self: 1 } },
    ]);
    const replay = await runPrinted(report.functions[0]?.failure?.command ?? '');
    expect(replay.stdout.trim()).toBe(
      JSON.stringify({ tool: 'local_kitchen_types_accumulator_new', result: 1 }),
    );
    expect(replay.stderr).toMatch(/call 2 \(local_kitchen_types_accumulator_total\) failed: trap/);
    expect(replay.code).toBe(1);
  }, 60_000);
});

describe('wasmactor check on clean components', () => {
  it('passes the counter functions with exit code 0 and a readable table', async () => {
    const run = await wasmactor(
      'check',
      fixturePath('counter'),
      '--runs',
      '20',
      '--deterministic',
      '--tool',
      'add',
      '--tool',
      'get',
      '--tool',
      'increment',
    );
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^function +runs +ok +err +trap +timeout +exit +bad +nondet +result$/m);
    expect(run.stdout).toMatch(/^add +20 +20 +0 +0 +0 +0 +0 +0 +pass$/m);
    expect(run.stdout).toMatch(/passed: nothing failed in 3 functions/);
  }, 60_000);

  it('passes echoes of every WIT type kind (results too) through the JS kitchen-sink', async () => {
    const tools = [
      'echo-string',
      'echo-char',
      'echo-record',
      'echo-variant',
      'echo-nested-option',
      'echo-flags',
      'echo-f32',
      'echo-u64',
      'echo-bytes',
      'echo-result',
    ];
    const { run, report } = await checkJson(
      fixturePath('kitchen-sink'),
      '--runs',
      '8',
      '--seed',
      '3',
      ...tools.flatMap((t) => ['--tool', t]),
    );
    expect(report.functions.filter((f) => f.status !== 'passed')).toEqual([]);
    expect(run.code).toBe(0);
    const result = report.functions.find((f) => f.tool === 'echo-result');
    expect((result?.counts.ok ?? 0) + (result?.counts.err ?? 0)).toBe(8);
  }, 80_000);

  it('passes the example components (notes with --stateful)', async () => {
    const built = await buildExamples();
    for (const example of built) {
      const args = [
        'check',
        example.wasmPath,
        '--runs',
        '5',
        '--seed',
        '5',
        ...(example.stateful ? ['--stateful'] : []),
      ];
      const run = await wasmactor(...args);
      expect(run.stdout, example.id).toMatch(/passed: nothing failed/);
      expect(run.code, example.id).toBe(0);
    }
  }, 80_000);
});

describe('wasmactor check output', () => {
  it('draws a progress line on stderr when it is a terminal, and clears it before the report', async () => {
    const collect = (stream: PassThrough) => {
      const chunks: string[] = [];
      stream.on('data', (c) => chunks.push(String(c)));
      return chunks;
    };
    const stdout = new PassThrough();
    const stderr = Object.assign(new PassThrough(), { isTTY: true });
    const [out, err] = [collect(stdout), collect(stderr)];
    const code = await checkCommand([bugs(), '--runs', '3', '--tool', 'add'], {
      stdin: new PassThrough(),
      stdout,
      stderr,
    });
    expect(code).toBe(0);
    expect(err).toEqual(expect.arrayContaining(['\r\x1b[2Kchecking add 1/3', '\r\x1b[2Kchecking add 3/3']));
    expect(err.at(-1)).toBe('\r\x1b[2K');
    expect(out.join('')).toMatch(/^add +3 +3 /m);
  });
});

describe('wasmactor check usage errors', () => {
  it.each([
    [[], /check takes one component path/],
    [['a.wasm', 'b.wasm'], /check takes one component path/],
    [['X', '--runs', '0'], /--runs must be a whole number from 1/],
    [['X', '--seed', 'soon'], /--seed must be an integer/],
    [['X', '--timeout', '0'], /--timeout must be a positive integer/],
    [['X', '--frobnicate'], /unknown option --frobnicate/],
    [['X', '--tool', 'nope'], /unknown-tool: the component has no tool "nope" \(its tools: scale, roll/],
    [['X', '--replay', '[{"tool":"nope","args":{}}]'], /no tool "nope"/],
    [['X', '--replay', '{"tool":"add"}'], /--replay must be a non-empty array/],
    [['X', '--env', 'NOEQUALS'], /--env/],
  ])('%j exits with 2 and says what is wrong', async (args, message) => {
    const run = await wasmactor('check', ...args.map((a) => (a === 'X' ? bugs() : a)));
    expect(run.stderr).toMatch(message);
    expect(run.code).toBe(2);
  });

  it('--help prints the usage with exit code 0', async () => {
    const run = await wasmactor('check', '--help');
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^Usage: wasmactor check <component.wasm>/);
  });
});
