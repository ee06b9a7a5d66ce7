/** The examples build of `serve --examples`: a child process whose output never reaches our stdout. */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { buildExamples, loadExamplesFirst } from '../../src/mcp/commands/examples.ts';
import { McpError, type WasmactorServer } from '../../src/mcp/index.ts';
import { tempDir } from './helpers.ts';

afterEach(() => {
  vi.restoreAllMocks();
});

describe('buildExamples', () => {
  it('logs what the build script writes (stdout too) on stderr and names the script when it fails', async () => {
    const { dir, cleanup } = await tempDir();
    try {
      await writeFile(
        join(dir, 'build.ts'),
        "process.stdout.write('NOT-JSON-RPC\\n');\nprocess.stderr.write('componentize-js is missing\\n');\nprocess.exit(3);\n",
      );
      const stdout = vi.spyOn(process.stdout, 'write');
      const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
      const failure = await buildExamples(dir).catch((error: unknown) => error);
      expect(failure).toBeInstanceOf(McpError);
      expect((failure as McpError).code).toBe('examples-failed');
      expect((failure as McpError).message).toBe(
        `${join(dir, 'build.ts')} exited with code 3 (NOT-JSON-RPC | componentize-js is missing); building the examples needs the dev dependencies (npm install)`,
      );
      expect(stdout).not.toHaveBeenCalled();
      const logged = stderr.mock.calls.map((c) => String(c[0])).join('');
      expect(logged).toContain('"msg":"NOT-JSON-RPC"');
      expect(logged).toContain('"msg":"componentize-js is missing"');
    } finally {
      await cleanup();
    }
  });
});

describe('loadExamplesFirst', () => {
  it('ends a build that a shutdown interrupts, with an info line and no error line', async () => {
    const { dir, cleanup } = await tempDir();
    try {
      await writeFile(
        join(dir, 'build.ts'),
        "process.stderr.write('compiling\\n');\nsetTimeout(() => {}, 60_000);\n",
      );
      const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
      const stopped = new Promise<void>((done) => setTimeout(done, 1_500));
      const started = Date.now();
      // the server is never reached: the stop comes during the build
      const serving = await loadExamplesFirst({} as WasmactorServer, stopped, dir);
      expect(serving).toBe(false);
      expect(Date.now() - started).toBeLessThan(20_000);
      const lines = stderr.mock.calls.map((c) => JSON.parse(String(c[0])) as { level: string; msg: string });
      expect(lines.filter((l) => l.level === 'error')).toEqual([]);
      expect(lines.map((l) => l.msg)).toContain('examples: stopped by the shutdown');
    } finally {
      await cleanup();
    }
  });

  it('logs a failed build as an error and lets the server go on without the examples', async () => {
    const { dir, cleanup } = await tempDir();
    try {
      await writeFile(join(dir, 'build.ts'), 'process.exit(3);\n');
      const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
      expect(await loadExamplesFirst({} as WasmactorServer, new Promise(() => {}), dir)).toBe(true);
      const logged = stderr.mock.calls.map((c) => String(c[0])).join('');
      expect(logged).toMatch(/"level":"error","msg":"cannot build or load the examples"/);
    } finally {
      await cleanup();
    }
  });
});
