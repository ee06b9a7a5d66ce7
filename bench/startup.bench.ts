/**
 * Start-up as an MCP client sees it: spawn to the first tools/list answer (the client's `connect`, which
 * sends initialize, then `listTools`), median of N, for
 * - the installed package (the tarball `npm pack` makes, installed offline with its runtime dependencies
 *   only, see test/firstrun/installPacked.ts): `node <installed>/bin/wasmactor.js serve`, which runs the
 *   compiled dist/;
 * - the checkout, as `npm start` runs it: `node bin/wasmactor.js serve` with dist/ built from the
 *   sources (`node scripts/build.mjs --if-stale`, which `prestart` runs; timed below, with the check
 *   that finds dist/ current);
 * - the checkout running src/ through tsx: what the bin runs when dist/ is absent or stale (an edit since
 *   the last build), forced here with WASMACTOR_FROM_SOURCES=1;
 * - the floors, measured in the same run: an SDK v2 echo server over stdio (`serveStdio`, one tool,
 *   nothing of wasmactor) and `node -e 0` (spawn to exit).
 * Beside the wall time, the CPU time the server process used until that answer (utime + stime from
 * /proc/<pid>/stat, 10 ms ticks): less sensitive to other work on a shared machine than the wall time.
 * The variants take turns (round-robin), so that load on the machine spreads over all of them. Each
 * wasmactor serves an empty component directory; caches and data go to a temp dir. Goal (issue 15):
 * start-up <= 1.5x the SDK echo server.
 *
 *   npx tsx bench/startup.bench.ts [runs]
 */
import { spawnSync } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
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

/** One start-up: wall ms from spawn to the first tools/list answer, and the CPU ms the process used. */
interface Sample {
  wall: number;
  cpu: number;
}

/** CPU time (user + system) used so far by process `pid`, in ms (Linux). */
async function cpuMs(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // fields[0] is field 3 (state); utime and stime are fields 14 and 15, in clock ticks (100 per second).
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

/** Spawn to the first tools/list answer of `command args`; the process is closed afterwards. */
async function firstToolsList(
  command: string,
  args: string[],
  env: Record<string, string>,
  cwd: string,
): Promise<Sample> {
  const started = performance.now();
  const transport = new StdioClientTransport({ command, args, env, cwd, stderr: 'ignore' });
  const client = new Client({ name: 'wasmactor-startup-bench', version: '0.0.0' });
  await client.connect(transport);
  const { tools } = await client.listTools();
  const wall = performance.now() - started;
  const cpu = transport.pid === null ? Number.NaN : await cpuMs(transport.pid);
  if (tools.length === 0) throw new Error(`${args.join(' ')} listed no tools`);
  await client.close();
  return { wall, cpu };
}

/**
 * `node scripts/build.mjs --if-stale` (npm start's build step), ms: once building (dist/ made stale by
 * removing its stamp), then the median of 5 runs that find dist/ current and only hash the sources.
 */
function buildTimes(): { full: number; current: number } {
  const timed = () => {
    const started = performance.now();
    const result = spawnSync(process.execPath, [join(root, 'scripts', 'build.mjs'), '--if-stale'], {
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    if (result.status !== 0) throw new Error(`the build failed (exit ${result.status})`);
    return performance.now() - started;
  };
  rmSync(join(root, 'dist', 'build-stamp.json'), { force: true });
  const full = timed();
  if (!existsSync(join(root, 'dist', 'build-stamp.json'))) throw new Error('the build wrote no stamp');
  return { full, current: median([1, 2, 3, 4, 5].map(timed)) };
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
    const build = buildTimes();
    const serve = ['serve', '--component-dir', join(dir, 'components'), '--log-level', 'warn'];
    const variants: [string, () => Promise<Sample>][] = [
      [
        'node -e 0 (spawn to exit)',
        async () => {
          const started = performance.now();
          spawnSync(process.execPath, ['-e', '0']);
          return { wall: performance.now() - started, cpu: Number.NaN };
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
        'wasmactor serve, checkout (dist/, npm start)',
        () => firstToolsList(process.execPath, [join(root, 'bin', 'wasmactor.js'), ...serve], env, root),
      ],
      [
        'wasmactor serve, checkout (src/ + tsx)',
        () =>
          firstToolsList(
            process.execPath,
            [join(root, 'bin', 'wasmactor.js'), ...serve],
            { ...env, WASMACTOR_FROM_SOURCES: '1' },
            root,
          ),
      ],
    ];
    const samples = new Map<string, Sample[]>(variants.map(([name]) => [name, []]));
    for (let run = 0; run <= RUNS; run++) {
      for (const [name, measure] of variants) {
        const sample = await measure();
        if (run > 0) samples.get(name)?.push(sample); // run 0 warms the disk cache
      }
    }
    const medians = new Map(
      [...samples].map(([name, s]) => [
        name,
        { wall: median(s.map((x) => x.wall)), cpu: median(s.map((x) => x.cpu)) },
      ]),
    );
    const node = medians.get('node -e 0 (spawn to exit)')?.wall as number;
    const floor = medians.get('SDK echo server, stdio (floor)') as Sample;
    process.stdout.write(
      `Start-up, spawn to the first tools/list answer, median of ${RUNS} runs (goal: <= 1.5x the SDK echo server)\n` +
        `  (pack ${Math.round(installed.timings.pack)} ms, offline install ${Math.round(installed.timings.install)} ms;\n` +
        `   npm start's build step: a build ${Math.round(build.full)} ms, finding dist/ current ${Math.round(build.current)} ms)\n`,
    );
    for (const [name, { wall, cpu }] of medians) {
      const goal = name.startsWith('wasmactor') ? (wall / floor.wall <= 1.5 ? '  met' : '  not met') : '';
      const cpuText = Number.isNaN(cpu)
        ? ''.padEnd(28)
        : `cpu ${cpu.toFixed(0).padStart(4)} ms ${(cpu / floor.cpu).toFixed(2)}x echo`.padEnd(28);
      process.stdout.write(
        `  ${name.padEnd(44)} ${wall.toFixed(1).padStart(7)} ms ${(wall / floor.wall).toFixed(2)}x echo ${(wall / node).toFixed(2)}x node -e 0   ${cpuText}${goal}\n`,
      );
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

await main();
