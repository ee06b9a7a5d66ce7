/**
 * `wasmactor component push` through the real bin against a real registry: it prints the pinned
 * reference (and only that) on stdout, the published artifact pulls back with the annotations given;
 * usage errors exit 2 in our words, failures exit 1 naming the problem.
 */
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Command, commands } from '../../src/mcp/commands/index.ts';
import { parseOciReference, pullComponent } from '../../src/mcp/sources/oci/index.ts';
import { fixturePath } from '../helpers/fixtures.ts';
import { runWasmactor } from '../mcp/helpers.ts';
import { freePort, startRegistry, type TestRegistry } from './registry.ts';

let registry: TestRegistry;

/** The command in a child process, with no docker config of the user's. */
const run = (...args: string[]) =>
  runWasmactor(args, { env: { DOCKER_CONFIG: '/nonexistent-wasmactor-docker' } });

/** The command in this process, with memory streams (quicker than a process for usage errors). */
async function runHere(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const sink = (write: (text: string) => void) => {
    const stream = new PassThrough();
    stream.on('data', (chunk: Buffer) => write(chunk.toString()));
    return stream;
  };
  const io = {
    stdin: new PassThrough(),
    stdout: sink((t) => {
      stdout += t;
    }),
    stderr: sink((t) => {
      stderr += t;
    }),
  };
  const [name, ...rest] = args;
  const code = await (commands[name ?? ''] as Command)(rest, io);
  await new Promise((resolve) => setImmediate(resolve));
  return { code, stdout, stderr };
}

beforeAll(async () => {
  registry = await startRegistry();
});
afterAll(async () => {
  await registry?.stop();
});

describe('wasmactor component push', () => {
  it('publishes a component and prints the pinned reference', async () => {
    const target = `oci://${registry.host}/tools/counter:1.2.0`;
    const result = await run(
      'component',
      'push',
      fixturePath('counter'),
      target,
      '--description',
      'A counter that remembers',
      '--version',
      '1.2.0',
    );
    expect(result.stderr).toContain(`pushed ${fixturePath('counter')}`);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(
      new RegExp(`^oci://${registry.host}/tools/counter@sha256:[a-f0-9]{64}\\n$`),
    );
    const pulled = await pullComponent(parseOciReference(result.stdout.trim()), {
      maxBytes: 1 << 26,
      timeoutMs: 20_000,
    });
    expect(Buffer.from(pulled.bytes).equals(await readFile(fixturePath('counter')))).toBe(true);
    expect(pulled.annotations).toMatchObject({
      'org.opencontainers.image.title': 'counter',
      'org.opencontainers.image.description': 'A counter that remembers',
      'org.opencontainers.image.version': '1.2.0',
    });
  });

  it("takes the description and version from the component's metadata, the flags winning", async () => {
    const section = (name: string, text: string) => {
      const payload = Buffer.concat([Buffer.from([name.length]), Buffer.from(name), Buffer.from(text)]);
      return Buffer.concat([Buffer.from([0, payload.length]), payload]);
    };
    const counter = await readFile(fixturePath('counter'));
    const dir = await mkdtemp(join(tmpdir(), 'wasmactor-push-'));
    const file = join(dir, 'described.wasm');
    await writeFile(
      file,
      Buffer.concat([
        counter,
        section('description', 'Counts, from its metadata'),
        section('version', '0.9.0'),
      ]),
    );
    const result = await runHere(
      'component',
      'push',
      file,
      `oci://${registry.host}/tools/described:1`,
      '--version',
      '1.0.0',
    );
    expect(result.code).toBe(0);
    const pulled = await pullComponent(parseOciReference(result.stdout.trim()), {
      maxBytes: 1 << 26,
      timeoutMs: 20_000,
    });
    expect(pulled.annotations).toMatchObject({
      'org.opencontainers.image.description': 'Counts, from its metadata',
      'org.opencontainers.image.version': '1.0.0',
    });
  });

  it.each([
    [['push'], 'takes a component file and an oci:// reference'],
    [['push', 'x.wasm', 'https://example.com/x'], 'is not an oci:// reference'],
    [['push', 'x.wasm', `oci://127.0.0.1:1/a@sha256:${'a'.repeat(64)}`], 'push to a tag, not a digest'],
    [['push', 'x.wasm', 'oci://127.0.0.1:1/A:1'], 'repository names are lowercase'],
    [['push', 'x.wasm', 'oci://127.0.0.1:1/a:1', '--timeout', 'soon'], '--timeout must be a positive number'],
    [['push', 'x.wasm', 'oci://127.0.0.1:1/a:1', '--colour'], 'unknown option --colour'],
  ])('refuses %j with exit 2', async (args, message) => {
    const result = await runHere('component', ...args);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('wasmactor component push: ');
    expect(result.stderr).toContain(message);
    expect(result.stdout).toBe('');
  });

  it('answers --help, and component --help names push', async () => {
    const help = await runHere('component', 'push', '--help');
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('Usage: wasmactor component push');
    expect((await runHere('component', '--help')).stdout).toContain('component push <file> oci://');
  });

  it('fails naming a missing file or an unreachable registry (exit 1, named `component push`)', async () => {
    const missing = await run('component', 'push', '/nonexistent/x.wasm', `oci://${registry.host}/a/b:1`);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('wasmactor component push: not-found: ');
    expect(missing.stderr).toContain('/nonexistent/x.wasm');
    const closed = await freePort();
    const refused = await run('component', 'push', fixturePath('counter'), `oci://127.0.0.1:${closed}/a/b:1`);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('wasmactor component push: ');
    expect(refused.stderr).toContain('refused (ECONNREFUSED)');
    expect(refused.stdout).toBe('');
  });
});
