/** The examples build of `serve --examples`: a child process whose output never reaches our stdout. */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { buildExamples } from '../../src/mcp/commands/examples.ts';
import { McpError } from '../../src/mcp/index.ts';
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
