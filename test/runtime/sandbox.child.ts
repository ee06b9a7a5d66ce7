/**
 * Child process for sandbox.test.ts: writes guest output through a sandbox's stdout/stderr (the shim
 * streams directly, and through the wasi-probe component when its path is given) and reports on
 * stderr what was captured. Its process stdout must stay empty.
 */
import { readFile } from 'node:fs/promises';
import { createSandbox } from '../../src/runtime/sandbox/createSandbox.ts';

const encoder = new TextEncoder();
const sandbox = createSandbox({}, []);
const stdout = (
  sandbox.imports['wasi:cli/stdout'] as { getStdout(): { blockingWriteAndFlush(b: Uint8Array): void } }
).getStdout();
const stderr = (
  sandbox.imports['wasi:cli/stderr'] as { getStderr(): { write(b: Uint8Array): void } }
).getStderr();
stdout.blockingWriteAndFlush(encoder.encode('guest says hello on stdout\n'));
stderr.write(encoder.encode('guest says hello on stderr\n'));
const report: Record<string, unknown> = { direct: sandbox.takeOutput() };

const [glueDir] = process.argv.slice(2);
if (glueDir) {
  const { instantiate } = await import(`${glueDir}/component.js`);
  const probeSandbox = createSandbox({}, []);
  const probe = await instantiate(
    async (name: string) =>
      (
        globalThis as unknown as { WebAssembly: { compile(b: Uint8Array): Promise<unknown> } }
      ).WebAssembly.compile(await readFile(`${glueDir}/${name}`)),
    probeSandbox.imports,
  );
  probe.print('probe stdout line', 'probe stderr line');
  report.probe = probeSandbox.takeOutput();
}
process.stderr.write(`${JSON.stringify(report)}\n`);
