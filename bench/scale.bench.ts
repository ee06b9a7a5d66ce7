/**
 * Scale-out through nginx (deploy/nginx/render.mjs, Debian's nginx) on this machine:
 *  - throughput of stateless tools/call (`hello` of the versioned fixture, a fresh instance per call)
 *    with 1, 2 and 3 replicas behind nginx, from CLIENTS concurrent modern SDK clients for SECONDS each;
 *    the floor is 1 replica behind nginx, and a direct connection to that replica is shown beside it;
 *  - the latency the proxy hop adds: sequential calls from one client, nginx vs a direct connection to
 *    the same single replica, alternating blocks of 25 calls (median vs median, same run).
 * Figures only, no assertion. Everything (clients, nginx, replicas) shares this machine's cores, which
 * is what caps the 2- and 3-replica figures (see the ceiling line at the end).
 *
 * Each configuration is measured ROUNDS times, in a rotated order, and its median round is shown.
 *
 *   node bench/launch.mjs bench/scale.bench.ts [seconds] [clients] [rounds]   (after `npm run build:fixtures`; nginx)
 */
// Isolation first: the user's cache, component directory and secrets are never touched.
import './harness.ts';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { type Nginx, REPO_ROOT, startCluster, startNginx } from '../test/scale/cluster.ts';

const SECONDS = Number(process.argv[2] ?? 4);
const CLIENTS = Number(process.argv[3] ?? 16);
const ROUNDS = Number(process.argv[4] ?? 3);
const LATENCY_CALLS = 400;

async function connect(url: string): Promise<Client> {
  const client = new Client({ name: 'scale-bench', version: '0' }, { versionNegotiation: { mode: 'auto' } });
  await client.connect(new StreamableHTTPClientTransport(new URL(url)));
  return client;
}

async function hello(client: Client): Promise<void> {
  const result = await client.callTool({ name: 'hello', arguments: {} });
  if (result.isError) throw new Error(JSON.stringify(result.content));
}

/** CPU seconds (user + system, all threads) a process used so far, from /proc (clock ticks of 10 ms). */
async function cpuSeconds(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11] ?? 0) + Number(fields[12] ?? 0)) / 100;
}

/** The pids whose parent is `parent` (nginx's workers). */
async function childrenOf(parent: number): Promise<number[]> {
  const pids: number[] = [];
  for (const name of await readdir('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const stat = await readFile(`/proc/${name}/stat`, 'utf8').catch(() => '');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (Number(fields[1]) === parent) pids.push(Number(name));
  }
  return pids;
}

/** Where the CPU went during a measurement, in CPU seconds. */
interface CpuUse {
  client: number;
  nginx: number;
  replicas: number;
}

async function cpuNow(nginxPids: number[], replicaPids: number[]): Promise<CpuUse> {
  const sum = async (pids: number[]) => (await Promise.all(pids.map(cpuSeconds))).reduce((a, b) => a + b, 0);
  const own = process.cpuUsage();
  return {
    client: (own.user + own.system) / 1e6,
    nginx: await sum(nginxPids),
    replicas: await sum(replicaPids),
  };
}

/** One measurement: calls per second, and CPU milliseconds per call by party. */
interface Round {
  perSecond: number;
  cpuMsPerCall: CpuUse;
}

/**
 * Calls per second from CLIENTS concurrent clients, each calling in a loop, after a 1 s warm-up; and the
 * CPU each party used per call meanwhile.
 */
async function throughput(url: string, nginxPids: number[], replicaPids: number[]): Promise<Round> {
  const clients = await Promise.all(Array.from({ length: CLIENTS }, () => connect(url)));
  try {
    let counting = false;
    let stop = false;
    let calls = 0;
    const loops = clients.map(async (client) => {
      while (!stop) {
        await hello(client);
        if (counting) calls++;
      }
    });
    await new Promise((r) => setTimeout(r, 1000));
    counting = true;
    const started = performance.now();
    const before = await cpuNow(nginxPids, replicaPids);
    await new Promise((r) => setTimeout(r, SECONDS * 1000));
    const after = await cpuNow(nginxPids, replicaPids);
    const elapsed = (performance.now() - started) / 1000;
    const counted = calls;
    stop = true;
    await Promise.all(loops);
    const per = (k: keyof CpuUse) => ((after[k] - before[k]) * 1000) / Math.max(1, counted);
    return {
      perSecond: counted / elapsed,
      cpuMsPerCall: { client: per('client'), nginx: per('nginx'), replicas: per('replicas') },
    };
  } finally {
    await Promise.allSettled(clients.map((c) => c.close()));
  }
}

function median(samples: number[]): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
}

/** Sequential call times through `a` and `b`, in alternating blocks so that drift hits both alike. */
async function latencies(a: string, b: string): Promise<[number[], number[]]> {
  const [ca, cb] = [await connect(a), await connect(b)];
  const out: [number[], number[]] = [[], []];
  try {
    for (let i = 0; i < 50; i++) await Promise.all([hello(ca), hello(cb)]); // warm-up
    for (let block = 0; block < LATENCY_CALLS / 25; block++) {
      for (const [k, client] of [ca, cb].entries()) {
        for (let i = 0; i < 25; i++) {
          const started = performance.now();
          await hello(client);
          out[k]?.push(performance.now() - started);
        }
      }
    }
  } finally {
    await Promise.allSettled([ca.close(), cb.close()]);
  }
  return out;
}

async function main(): Promise<void> {
  const versioned = join(REPO_ROOT, 'fixtures', 'build', 'versioned.wasm');
  const cluster = await startCluster({ replicas: 3, components: [{ path: versioned, stateful: false }] });
  const prefix = await mkdtemp(join(tmpdir(), 'wasmactor-scale-bench-'));
  const extra: Nginx[] = [];
  try {
    const [r1, r2] = cluster.replicas;
    if (!r1 || !r2) throw new Error('three replicas expected');
    const one = await startNginx(join(prefix, 'one'), [r1]);
    extra.push(one);
    const two = await startNginx(join(prefix, 'two'), [r1, r2]);
    extra.push(two);

    const direct = `${r1.base}/mcp`;
    // every replica runs the call a while first (transpile cache, JIT), whatever the order below
    for (const replica of cluster.replicas) {
      const client = await connect(`${replica.base}/mcp`);
      for (let i = 0; i < 200; i++) await hello(client);
      await client.close();
    }
    const pids = (list: { proc: { pid?: number | undefined } }[]) => list.map((r) => r.proc.pid as number);
    const workers = async (n: Nginx) => childrenOf(n.proc.pid as number);
    const configs: [string, string, number[], number[]][] = [
      ['1 replica, direct (no nginx)', direct, [], pids([r1])],
      ['1 replica behind nginx (floor)', one.url, await workers(one), pids([r1])],
      ['2 replicas behind nginx', two.url, await workers(two), pids([r1, r2])],
      ['3 replicas behind nginx', cluster.url, await childrenOf(cluster.nginxPid), pids(cluster.replicas)],
    ];
    const samples = configs.map(() => [] as Round[]);
    for (let round = 0; round < ROUNDS; round++) {
      for (let k = 0; k < configs.length; k++) {
        const at = (k + round) % configs.length;
        const [, url, nginxPids, replicaPids] = configs[at] as (typeof configs)[number];
        samples[at]?.push(await throughput(url, nginxPids, replicaPids));
      }
    }
    /** The median round of each configuration (by calls per second). */
    const rows = configs.map(([name], i) => {
      const sorted = [...(samples[i] as Round[])].sort((a, b) => a.perSecond - b.perSecond);
      return [name, sorted[Math.floor(sorted.length / 2)] as Round, sorted] as const;
    });
    const floor = rows[1]?.[1].perSecond ?? 1;
    console.log(
      `stateless tools/call throughput, ${CLIENTS} concurrent modern clients, ${SECONDS} s, median of ${ROUNDS} ` +
        `(${availableParallelism()} cores shared by the clients, nginx and the replicas)`,
    );
    for (const [name, { perSecond }, sorted] of rows) {
      const all = sorted.map((x) => x.perSecond.toFixed(0)).join(', ');
      console.log(
        `  ${name.padEnd(32)} ${perSecond.toFixed(0).padStart(6)} calls/s   ${(perSecond / floor).toFixed(2)}x the floor   (rounds: ${all})`,
      );
    }
    console.log(
      'CPU per call in the median round (ms: clients / nginx / replicas = total; ceiling = cores / total)',
    );
    for (const [name, { cpuMsPerCall: c }] of rows) {
      const total = c.client + c.nginx + c.replicas;
      console.log(
        `  ${name.padEnd(32)} ${c.client.toFixed(2)} / ${c.nginx.toFixed(2)} / ${c.replicas.toFixed(2)} = ${total.toFixed(2)} ms` +
          `   ceiling ${((availableParallelism() * 1000) / total).toFixed(0)} calls/s`,
      );
    }

    const [viaNginx, viaDirect] = await latencies(one.url, direct);
    const [mn, md] = [median(viaNginx), median(viaDirect)];
    console.log(`proxy hop, sequential calls from one client, ${LATENCY_CALLS} each (median, ms)`);
    console.log(`  direct to the replica (floor)    ${md.toFixed(3)}`);
    console.log(
      `  through nginx                    ${mn.toFixed(3)}   ${(mn / md).toFixed(2)}x the floor, +${(mn - md).toFixed(3)} ms`,
    );
  } finally {
    await Promise.allSettled(extra.map((n) => n.kill()));
    await cluster.close();
    await rm(prefix, { recursive: true, force: true });
  }
}

await main();
