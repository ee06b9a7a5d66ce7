/**
 * Reading large JSON-RPC requests over stdio: time from the first byte of a request line written to the
 * server's answer, for lines of 1, 10 and 50 MiB (a `ping` whose params carry one long string), against
 * a floor measured in the same run: a bare child process that reads lines the linear way (chunks in a
 * list, '\n' searched in new bytes only), JSON.parses each and answers — the pipe and the parse, nothing
 * else. Linear reading shows as a 50/10 MiB ratio near 5 (the SDK's ReadBuffer gave ~25: quadratic).
 * Then one line over the 256 MiB limit: answered with an error, and a ping after it.
 *
 *   node bench/launch.mjs bench/requests.bench.ts [rounds] [--root DIR] [--no-oversize]
 *   (--root runs the server of another checkout, e.g. the code before a change)
 */
// Isolation first: the user's cache, component directory and secrets are never touched.
import './harness.ts';
import { spawn } from 'node:child_process';
import { spawnRawServer } from '../test/adversarial/requestsClient.ts';

const MiB = 1024 * 1024;
const args = process.argv.slice(2);
const rootAt = args.indexOf('--root');
const root = rootAt === -1 ? undefined : args[rootAt + 1];
const ROUNDS = Number(args.find((a, i) => /^\d+$/.test(a) && args[i - 1] !== '--root') ?? 3);
const SIZES = [1, 10, 50];

/** The floor: a bare line server in a child process (linear reader, JSON.parse, a small answer). */
const FLOOR_SERVER = `
const chunks = []; let pending = 0;
process.stdin.on('data', (chunk) => {
  let start = 0;
  for (let nl = chunk.indexOf(10); nl !== -1; nl = chunk.indexOf(10, start)) {
    chunks.push(chunk.subarray(start, nl));
    const line = Buffer.concat(chunks, pending + nl - start);
    chunks.length = 0; pending = 0; start = nl + 1;
    const message = JSON.parse(line.toString('utf8'));
    process.stdout.write(JSON.stringify({ jsonrpc: '2.0', id: message.id, result: {} }) + '\\n');
  }
  if (start < chunk.length) { chunks.push(chunk.subarray(start)); pending += chunk.length - start; }
});`;

interface Target {
  name: string;
  sendLarge(prefix: string, fill: number, suffix: string): Promise<void>;
  answer(id: number): Promise<unknown>;
  close(): Promise<unknown>;
}

async function floorTarget(): Promise<Target> {
  const child = spawn(process.execPath, ['-e', FLOOR_SERVER], { stdio: ['pipe', 'pipe', 'inherit'] });
  let rest = '';
  const seen = new Map<number, () => void>();
  const got = new Set<number>();
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (text: string) => {
    rest += text;
    for (let nl = rest.indexOf('\n'); nl !== -1; nl = rest.indexOf('\n')) {
      const { id } = JSON.parse(rest.slice(0, nl)) as { id: number };
      rest = rest.slice(nl + 1);
      got.add(id);
      seen.get(id)?.();
    }
  });
  const filler = Buffer.alloc(MiB, 'a');
  const write = (b: string | Buffer) =>
    new Promise<void>((done) => (child.stdin.write(b) ? done() : child.stdin.once('drain', done)));
  return {
    name: 'bare line server (floor)',
    async sendLarge(prefix, fill, suffix) {
      await write(prefix);
      for (let left = fill; left > 0; left -= MiB)
        await write(left >= MiB ? filler : filler.subarray(0, left));
      await write(`${suffix}\n`);
    },
    answer: (id) => (got.has(id) ? Promise.resolve() : new Promise<void>((done) => seen.set(id, done))),
    close: async () => {
      child.stdin.end();
      await new Promise((done) => child.once('exit', done));
    },
  };
}

async function serverTarget(): Promise<Target> {
  const server = await spawnRawServer(root);
  await server.initialize();
  return {
    name: `wasmactor serve${root ? ` (${root})` : ''}`,
    sendLarge: server.sendLarge,
    answer: (id) => server.answer(id, 30 * 60_000),
    close: server.close,
  };
}

let nextId = 1;
/** Milliseconds from the first byte of a `size`-MiB ping line to its answer. */
async function timeLine(target: Target, size: number): Promise<number> {
  const id = nextId++;
  const prefix = `{"jsonrpc":"2.0","id":${id},"method":"ping","params":{"_meta":{"pad":"`;
  const suffix = '"}}}';
  const started = performance.now();
  const answered = target.answer(id);
  await target.sendLarge(prefix, size * MiB - prefix.length - suffix.length, suffix);
  await answered;
  return performance.now() - started;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
}

async function main(): Promise<void> {
  const table: Record<string, Record<number, number>> = {};
  for (const make of [floorTarget, serverTarget]) {
    const target = await make();
    try {
      await timeLine(target, 1); // warm-up
      const row: Record<number, number> = {};
      for (const size of SIZES) {
        const samples: number[] = [];
        for (let r = 0; r < ROUNDS; r++) samples.push(await timeLine(target, size));
        row[size] = median(samples);
      }
      table[target.name] = row;
    } finally {
      await target.close();
    }
  }
  const [floor, server] = Object.values(table) as [Record<number, number>, Record<number, number>];
  process.stdout.write(`one request line -> its answer over stdio, median of ${ROUNDS} (ms)\n`);
  process.stdout.write(
    `${'what'.padEnd(44)}${SIZES.map((s) => `${s} MiB`.padStart(10)).join('')}  50/10 MiB\n`,
  );
  for (const [name, row] of Object.entries(table)) {
    process.stdout.write(
      `${name.padEnd(44)}${SIZES.map((s) => (row[s] as number).toFixed(0).padStart(10)).join('')}  ${((row[50] as number) / (row[10] as number)).toFixed(2).padStart(9)}\n`,
    );
  }
  process.stdout.write(
    `${'server x floor'.padEnd(44)}${SIZES.map((s) => ((server[s] as number) / (floor[s] as number)).toFixed(2).padStart(10)).join('')}\n`,
  );

  const scaling = (row: Record<number, number>) => (row[50] as number) / (row[10] as number);
  process.stdout.write(
    `50/10 MiB: server ${scaling(server).toFixed(2)} vs floor ${scaling(floor).toFixed(2)} (linear reading: about the same; the quadratic ReadBuffer: 70-90)\n`,
  );
  if (args.includes('--no-oversize')) return;
  // One line over the limit (256 MiB): an error answer, then the next request is still served.
  const target = await spawnRawServer(root);
  try {
    await target.initialize();
    const prefix = '{"jsonrpc":"2.0","id":"big","method":"ping","params":{"_meta":{"pad":"';
    const started = performance.now();
    const answered = target.answer('big', 30 * 60_000);
    const exited = target.exited.then((code) => `no answer: the server exited with code ${code}`);
    await target.sendLarge(prefix, 300 * MiB, '"}}}').catch((e: Error) => e.message);
    const reply = await Promise.race([answered, exited]);
    const ms = performance.now() - started;
    await target.send('{"jsonrpc":"2.0","id":"after","method":"ping"}').catch(() => {});
    const after = await target.answer('after', 30_000).then(
      () => 'answered',
      () => 'not answered',
    );
    process.stdout.write(
      `300 MiB line (limit 256 MiB): ${JSON.stringify(reply).slice(0, 120)} after ${ms.toFixed(0)} ms; next ping ${after}\n`,
    );
  } finally {
    await target.close();
  }
}

await main();
