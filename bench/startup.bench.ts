/**
 * Start-up as an MCP client sees it: spawn to the first tools/list answer (the client's `connect`, which
 * sends initialize, then `listTools`), median of N, for
 * - the installed package (the tarball `npm pack` makes, installed offline with its runtime dependencies
 *   only, see test/firstrun/installPacked.ts): `node <installed>/bin/wasmactor.js serve`, which runs the
 *   compiled dist/;
 * - the checkout: `node bin/wasmactor.js serve`, which runs src/ through tsx;
 * - the floors, measured in the same run: an SDK v2 echo server over stdio (`serveStdio`, one tool,
 *   nothing of wasmactor) and `node -e 0` (spawn to exit).
 * The variants take turns (round-robin), so that load on the machine spreads over all of them. Each
 * wasmactor serves an empty component directory; caches and data go to a temp dir. Goal (issue 15):
 * start-up <= 1.5x the SDK echo server.
 *
 *   npx tsx bench/startup.bench.ts [runs]
 */
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/client';
import { StdioClientTransport } from '@modelcontextprotocol/client/stdio';
import { packAndInstall } from '../test/firstrun/installPacked.ts';

const RUNS = Number(process.argv[2] ?? 15);
const root = join(import.meta.dirname, '..');

/** The floor: the SDK's own stdio serving of one echo tool. */
const FLOOR_SERVER = `
import { fromJsonSchema, McpServer } from '@modelcontextprotocol/server';
import { serveStdio } from '@modelcontextprotocol/server/stdio';
const object = (properties) => ({ type: 'object', properties, required: Object.keys(properties) });
serveStdio(() => {
  const mcp = new McpServer({ name: 'floor', version: '0' });
  mcp.registerTool('echo', {
    inputSchema: fromJsonSchema(object({ value: { type: 'string' } })),
  }, async ({ value }) => ({ content: [{ type: 'text', text: JSON.stringify(value) }] }));
  return mcp;
});
`;

function median(samples: number[]): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
}

/** Spawn to the first tools/list answer of `command args`, in ms; the process is closed afterwards. */
async function firstToolsList(
  command: string,
  args: string[],
  env: Record<string, string>,
  cwd: string,
): Promise<number> {
  const started = performance.now();
  const transport = new StdioClientTransport({ command, args, env, cwd, stderr: 'ignore' });
  const client = new Client({ name: 'wasmactor-startup-bench', version: '0.0.0' });
  await client.connect(transport);
  const { tools } = await client.listTools();
  const elapsed = performance.now() - started;
  if (tools.length === 0) throw new Error(`${args.join(' ')} listed no tools`);
  await client.close();
  return elapsed;
}

async function main(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'wasmactor-startup-bench-'));
  try {
    process.stderr.write('packing and installing the package (npm pack, npm ci --offline)...\n');
    const installed = await packAndInstall(join(dir, 'package'));
    const env = {
      ...(process.env as Record<string, string>),
      XDG_CACHE_HOME: join(dir, 'cache'),
      XDG_DATA_HOME: join(dir, 'data'),
      XDG_CONFIG_HOME: join(dir, 'config'),
    };
    const serve = ['serve', '--component-dir', join(dir, 'components'), '--log-level', 'warn'];
    const variants: [string, () => Promise<number>][] = [
      [
        'node -e 0 (spawn to exit)',
        async () => {
          const started = performance.now();
          spawnSync(process.execPath, ['-e', '0']);
          return performance.now() - started;
        },
      ],
      [
        'SDK echo server, stdio (floor)',
        () => firstToolsList(process.execPath, ['--input-type=module', '-e', FLOOR_SERVER], env, root),
      ],
      [
        'wasmactor serve, installed (dist/)',
        () =>
          firstToolsList(
            process.execPath,
            [join(installed.packageDir, 'bin', 'wasmactor.js'), ...serve],
            env,
            installed.project,
          ),
      ],
      [
        'wasmactor serve, checkout (src/ + tsx)',
        () => firstToolsList(process.execPath, [join(root, 'bin', 'wasmactor.js'), ...serve], env, root),
      ],
    ];
    const samples = new Map<string, number[]>(variants.map(([name]) => [name, []]));
    for (let run = 0; run <= RUNS; run++) {
      for (const [name, measure] of variants) {
        const ms = await measure();
        if (run > 0) samples.get(name)?.push(ms); // run 0 warms the disk cache
      }
    }
    const medians = new Map([...samples].map(([name, s]) => [name, median(s)]));
    const node = medians.get('node -e 0 (spawn to exit)') as number;
    const floor = medians.get('SDK echo server, stdio (floor)') as number;
    process.stdout.write(
      `Start-up, spawn to the first tools/list answer, median of ${RUNS} runs (goal: <= 1.5x the SDK echo server)\n` +
        `  (pack ${Math.round(installed.timings.pack)} ms, offline install ${Math.round(installed.timings.install)} ms)\n`,
    );
    for (const [name, ms] of medians) {
      const goal = name.startsWith('wasmactor') ? (ms / floor <= 1.5 ? '  met' : '  not met') : '';
      process.stdout.write(
        `  ${name.padEnd(40)} ${ms.toFixed(1).padStart(7)} ms   ${(ms / floor).toFixed(2)}x SDK echo   ${(ms / node).toFixed(2)}x node -e 0${goal}\n`,
      );
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

await main();
