/**
 * End to end with an independent client: the MCP Inspector CLI (`@modelcontextprotocol/inspector --cli`)
 * drives `node bin/wasmactor.js serve` over stdio.
 *
 * Every Inspector invocation starts its own server process, sends one request and stops the server, so
 * a stateful instance cannot span two invocations. What links them is the component directory: a load
 * persists the component, the next invocation restores it (its tools listed from the metadata, a stateful
 * component with a fresh instance), and an unload deletes it.
 *
 * Facts about the Inspector CLI this relies on (measured with 2.12.0):
 * - `--tool-arg k=v` JSON-parses `v` when it can (`stateful=true` is a boolean, `n=-1` a number) and
 *   keeps it a string otherwise; string values are then coerced by the tool's input schema.
 *   `--tool-args-json '{...}'` sends the object verbatim.
 * - `--format json` prints `{"result": <MCP result>}` on stdout; a failure adds one line
 *   `{"error":{"code","message"}}` on stderr, after the server's own stderr lines.
 * - Exit code 5 when a tool result has `isError: true` (code `tool_is_error`) and when the tool is not in
 *   tools/list (code `tool_not_found`: the Inspector refuses it without sending tools/call).
 * - The stdio server gets only the Inspector's default environment plus `-e K=V`.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixturePath } from '../helpers/fixtures.ts';
import { BIN, BUILTIN_TOOLS, REPO_ROOT, tempDir } from './helpers.ts';

const INSPECTOR_DIR = join(REPO_ROOT, 'node_modules', '@modelcontextprotocol', 'inspector');
const INSPECTOR_BIN = join(
  INSPECTOR_DIR,
  (JSON.parse(readFileSync(join(INSPECTOR_DIR, 'package.json'), 'utf8')) as { bin: { inspector: string } })
    .bin.inspector,
);

const COUNTER_TOOLS = ['increment', 'get', 'add', 'trap', 'increment-slowly'];

interface Tool {
  name: string;
  inputSchema: { type: string; properties?: Record<string, { type?: string }>; required?: string[] };
  outputSchema?: { type: string; properties?: Record<string, unknown> };
}
interface CallResult {
  content: { type: string; text?: string }[];
  structuredContent?: Record<string, unknown>;
  isError?: boolean;
}
interface InspectorRun {
  code: number | null;
  stdout: string;
  stderr: string;
  /** `result` of the `--format json` stdout object; undefined when stdout is empty. */
  result: unknown;
  /** The Inspector's error envelope (the last stderr line with an `error` key), if any. */
  error?: { code: string; message: string };
}

let componentDir: string;
let inspectorHome: string;
let cleanup: () => Promise<void>;
let counterPath: string;

beforeAll(async () => {
  counterPath = fixturePath('counter');
  const tmp = await tempDir('wasmactor-inspector-');
  cleanup = tmp.cleanup;
  componentDir = join(tmp.dir, 'components');
  inspectorHome = tmp.dir;
});

afterAll(async () => {
  await cleanup?.();
});

/**
 * One Inspector CLI run against a fresh `wasmactor serve` on the shared component directory. Resolves
 * when the Inspector has exited (it stops its server itself).
 */
function inspect(args: string[]): Promise<InspectorRun> {
  const argv = [
    INSPECTOR_BIN,
    '--cli',
    '--format',
    'json',
    // the server shares the transpile cache of the other end-to-end tests (see helpers.ts)
    '-e',
    `XDG_CACHE_HOME=${join(REPO_ROOT, '.cache')}`,
    ...args,
    '--',
    process.execPath,
    BIN,
    'serve',
    '--component-dir',
    componentDir,
  ];
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, argv, {
      cwd: REPO_ROOT,
      env: {
        ...process.env,
        // keep the Inspector's own files out of the home directory
        MCP_CATALOG_PATH: join(inspectorHome, 'inspector-catalog.json'),
        MCP_CLIENT_CONFIG_PATH: join(inspectorHome, 'inspector-client.json'),
        MCP_INSPECTOR_SECRET_STORE: 'memory',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString('utf8');
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString('utf8');
    });
    child.on('error', reject);
    child.on('close', (code) => {
      const result = stdout.trim() === '' ? undefined : (JSON.parse(stdout) as { result: unknown }).result;
      let error: InspectorRun['error'];
      for (const line of stderr.split('\n')) {
        try {
          const parsed = JSON.parse(line) as { error?: { code: string; message: string } };
          if (parsed.error && typeof parsed.error === 'object') error = parsed.error;
        } catch {
          // a banner or a plain text line
        }
      }
      resolve({ code, stdout, stderr, result, ...(error ? { error } : {}) });
    });
  });
}

async function listTools(): Promise<Tool[]> {
  const run = await inspect(['--method', 'tools/list']);
  expect(run.code, run.stderr).toBe(0);
  return (run.result as { tools: Tool[] }).tools;
}

function callArgs(tool: string, args: string[] = []): string[] {
  return ['--method', 'tools/call', '--tool-name', tool, ...args];
}

function text(result: unknown): string {
  return (result as CallResult).content.map((c) => c.text ?? '').join('\n');
}

describe('wasmactor serve driven by the MCP Inspector CLI', () => {
  it('lists the built-in tools with their schemas, and no component tools on an empty directory', async () => {
    const tools = await listTools();
    const names = tools.map((t) => t.name);
    expect(names).toEqual(expect.arrayContaining(BUILTIN_TOOLS));
    for (const name of COUNTER_TOOLS) expect(names).not.toContain(name);
    const byName = new Map(tools.map((t) => [t.name, t]));
    expect(byName.get('load-component')?.inputSchema).toMatchObject({
      type: 'object',
      properties: { path: { type: 'string' }, stateful: { type: 'boolean' } },
      required: ['path'],
    });
    expect(byName.get('unload-component')?.inputSchema).toMatchObject({
      type: 'object',
      properties: { id: { type: 'string' } },
      required: ['id'],
    });
    expect(byName.get('get-policy')?.inputSchema).toMatchObject({ required: ['component_id'] });
    expect(byName.get('list-components')?.inputSchema).toMatchObject({ type: 'object' });
  });

  it('loads the counter as stateful (a boolean --tool-arg) and persists it in the component directory', async () => {
    const run = await inspect(
      callArgs('load-component', ['--tool-arg', `path=${counterPath}`, '--tool-arg', 'stateful=true']),
    );
    expect(run.code, run.stderr).toBe(0);
    const result = run.result as CallResult;
    expect(result.isError).toBeFalsy();
    expect(result.structuredContent).toMatchObject({
      status: 'component loaded',
      id: 'counter',
      stateful: true,
      tools: expect.arrayContaining(COUNTER_TOOLS),
    });
    const metadata = JSON.parse(readFileSync(join(componentDir, 'counter', 'metadata.json'), 'utf8'));
    expect(metadata).toMatchObject({ id: 'counter', stateful: true });
  });

  it('lists the restored counter tools in a new server process, with input and output schemas', async () => {
    const tools = await listTools();
    const names = tools.map((t) => t.name);
    expect(names).toEqual(expect.arrayContaining([...BUILTIN_TOOLS, ...COUNTER_TOOLS]));
    const add = tools.find((t) => t.name === 'add');
    expect(add?.inputSchema).toMatchObject({ type: 'object', properties: { n: {} }, required: ['n'] });
    expect(add?.outputSchema).toMatchObject({ type: 'object', properties: { result: expect.any(Object) } });
  });

  it('serves the restored stateful counter with a fresh instance on every server start', async () => {
    const first = await inspect(callArgs('increment'));
    expect(first.code, first.stderr).toBe(0);
    expect((first.result as CallResult).structuredContent).toEqual({ result: 1 });
    expect(text(first.result)).toBe('1');
    // a number --tool-arg; the state of the previous server process is gone: 0 + 4
    const second = await inspect(callArgs('add', ['--tool-arg', 'n=4']));
    expect(second.code, second.stderr).toBe(0);
    expect((second.result as CallResult).structuredContent).toEqual({ result: 4 });
  });

  it('answers an argument out of range or of the wrong type with isError naming it (exit code 5)', async () => {
    const negative = await inspect(callArgs('add', ['--tool-arg', 'n=-1']));
    expect(negative.code, negative.stderr).toBe(5);
    expect(negative.error?.code).toBe('tool_is_error');
    expect((negative.result as CallResult).isError).toBe(true);
    expect(text(negative.result)).toMatch(/\bn\b/);
    // sent verbatim as a string (a --tool-arg would be coerced by the schema first)
    const wrongType = await inspect(callArgs('add', ['--tool-args-json', '{"n":"three"}']));
    expect(wrongType.code, wrongType.stderr).toBe(5);
    expect((wrongType.result as CallResult).isError).toBe(true);
    expect(text(wrongType.result)).toMatch(/\bn\b/);
  });

  it('reports a trap as a tool error that says the state was lost (exit code 5)', async () => {
    const run = await inspect(callArgs('trap'));
    expect(run.code, run.stderr).toBe(5);
    expect(run.error?.code).toBe('tool_is_error');
    const result = run.result as CallResult;
    expect(result.isError).toBe(true);
    expect(text(result)).toMatch(/trap/i);
    expect(text(result)).toMatch(/state was lost/i);
  });

  it('treats an unknown tool as an error (exit code 5, not listed)', async () => {
    const run = await inspect(callArgs('no-such-tool'));
    expect(run.code, run.stderr).toBe(5);
    expect(run.error?.code).toBe('tool_not_found');
    expect(run.error?.message).toMatch(/no-such-tool/);
    expect(run.result).toBeUndefined();
  });

  it('list-components shows the restored counter as stateful', async () => {
    const run = await inspect(callArgs('list-components'));
    expect(run.code, run.stderr).toBe(0);
    const listed = JSON.parse(text(run.result)) as { components: { id: string; stateful: boolean }[] };
    expect(listed.components).toEqual([expect.objectContaining({ id: 'counter', stateful: true })]);
  });

  it('unload-component removes the counter: the next server lists no counter tools', async () => {
    const run = await inspect(callArgs('unload-component', ['--tool-arg', 'id=counter']));
    expect(run.code, run.stderr).toBe(0);
    expect((run.result as CallResult).isError).toBeFalsy();
    expect(existsSync(join(componentDir, 'counter'))).toBe(false);
    const names = (await listTools()).map((t) => t.name);
    expect(names).toEqual(expect.arrayContaining(BUILTIN_TOOLS));
    for (const name of COUNTER_TOOLS) expect(names).not.toContain(name);
    expect(await readdir(componentDir)).not.toContain('counter');
    // the Inspector's request time-out is 60 s: room for it to report a server that never answers
  }, 90_000);
});
