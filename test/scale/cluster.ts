/**
 * A scale-out set-up on loopback for the nginx test and bench: N `wasmactor serve --http` replicas (each
 * its own component directory, pre-filled with `wasmactor component load` or synced from one manifest,
 * and its inspector), and
 * Debian's nginx running the configuration that `deploy/nginx/render.mjs` renders from their list.
 * Every process is a child of this one; `close()` kills them all (and is safe to call twice).
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export const REPO_ROOT = join(import.meta.dirname, '..', '..');
const BIN = join(REPO_ROOT, 'bin', 'wasmactor.js');
const RENDER = join(REPO_ROOT, 'deploy', 'nginx', 'render.mjs');
export const NGINX = process.env.WASMACTOR_NGINX ?? '/usr/sbin/nginx';

/** A component to pre-fill every replica's component directory with. */
export interface ComponentSpec {
  path: string;
  stateful: boolean;
}

/** One `wasmactor serve --http` child. */
export interface Replica {
  id: string;
  proc: ChildProcess;
  /** `http://127.0.0.1:PORT` (MCP at /mcp). */
  base: string;
  port: number;
  /** Its folder: `components/` (its component directory) and, with a manifest, `downloads/`. */
  dir: string;
  /** `http://127.0.0.1:PORT` of its inspector (`/api/snapshot`), when started with one. */
  inspector?: string;
  stderr(): string;
  /** SIGKILL, resolves when it exited. */
  kill(): Promise<void>;
  /** SIGTERM (graceful shutdown), resolves to the exit code. */
  stop(): Promise<number | null>;
}

export interface Cluster {
  replicas: Replica[];
  /** `http://127.0.0.1:PORT/mcp` of nginx. */
  url: string;
  /** The rendered configuration nginx runs. */
  config: string;
  /** The pid of nginx's master process. */
  nginxPid: number;
  nginxLog(): string;
  /** nginx's access log so far (see `Nginx.accessLog`). */
  accessLog(): Promise<string>;
  close(): Promise<void>;
}

export interface ClusterOptions {
  replicas: number;
  /** Components stored in each replica's directory with `wasmactor component load` before it starts. */
  components?: ComponentSpec[];
  /**
   * Or: every replica runs `serve --manifest FILE` (the same file), each with its own download cache,
   * so each one fetches the manifest's sources itself.
   */
  manifest?: string;
  /** Serve each replica's inspector (`--inspect 0`). */
  inspect?: boolean;
  /** More `serve` flags for every replica. */
  serveArgs?: string[];
  /** More options of render.mjs (e.g. `--fail-timeout 1s`). */
  renderArgs?: string[];
  /** Edits the rendered configuration before nginx reads it (the tests' mutations do it by hand). */
  editConfig?: (config: string) => string;
}

/** A port that was free a moment ago (nginx cannot be told to pick one itself). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

function exited(proc: ChildProcess): Promise<void> {
  if (proc.exitCode !== null || proc.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => proc.once('exit', () => resolve()));
}

/** Spawns one replica and waits for its `listening` (and `inspector`) lines and for `/readyz`. */
async function startReplica(id: string, dir: string, options: ClusterOptions): Promise<Replica> {
  const args = [BIN, 'serve', '--http', '0', '--replica-id', id, '--component-dir', join(dir, 'components')];
  if (options.manifest) args.push('--manifest', options.manifest, '--download-cache', join(dir, 'downloads'));
  args.push(
    '--log-level',
    'warn',
    ...(options.inspect ? ['--inspect', '0'] : []),
    ...(options.serveArgs ?? []),
  );
  const proc = spawn(process.execPath, args, {
    cwd: REPO_ROOT,
    env: { ...process.env, XDG_CACHE_HOME: join(REPO_ROOT, '.cache') },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  const lines = new Promise<{ base: string; inspector?: string }>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`replica ${id} did not start in 60 s:\n${stderr}`)),
      60_000,
    );
    proc.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString('utf8');
      const mcp = /wasmactor listening on (http:\/\/\S+)\/mcp/.exec(stderr);
      const page = /wasmactor inspector: (http:\/\/[^\s/]+)/.exec(stderr);
      if (mcp && (page || !options.inspect)) {
        clearTimeout(timer);
        resolve({ base: mcp[1] as string, ...(page ? { inspector: page[1] as string } : {}) });
      }
    });
    proc.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`replica ${id} exited (${code}) before listening:\n${stderr}`));
    });
  });
  const { base, inspector } = await lines.catch(async (error) => {
    proc.kill('SIGKILL');
    throw error;
  });
  const replica: Replica = {
    id,
    proc,
    dir,
    base,
    port: Number(new URL(base).port),
    ...(inspector ? { inspector } : {}),
    stderr: () => stderr,
    kill: async () => {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
      await exited(proc);
    },
    stop: async () => {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGTERM');
      await exited(proc);
      return proc.exitCode;
    },
  };
  const deadline = Date.now() + 60_000;
  while (
    (await fetch(`${base}/readyz`)
      .then((r) => r.status)
      .catch(() => 0)) !== 200
  ) {
    if (Date.now() > deadline) {
      await replica.kill();
      throw new Error(`replica ${id} not ready in 60 s:\n${stderr}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return replica;
}

/** Renders the configuration for `replicas` with `deploy/nginx/render.mjs` (its command line). */
export async function renderConfig(
  replicas: { id: string; port: number }[],
  listenPort: number,
  extra: string[] = [],
) {
  const args = [RENDER, '--standalone', '--listen', `127.0.0.1:${listenPort}`, ...extra];
  args.push(...replicas.map((r) => `${r.id}=127.0.0.1:${r.port}`));
  return (await run(process.execPath, args)).stdout;
}

/** A running nginx (a child process, not a daemon). */
export interface Nginx {
  proc: ChildProcess;
  /** `http://127.0.0.1:PORT/mcp`. */
  url: string;
  config: string;
  /** Its error log so far. */
  log(): string;
  /** Its access log so far (one line per request: method, URI, status, replicas tried and their statuses). */
  accessLog(): Promise<string>;
  /** SIGKILL, resolves when it exited. */
  kill(): Promise<void>;
}

/**
 * Starts nginx on a free port with the configuration rendered for `replicas`, its prefix (temp paths,
 * logs) under `prefix`; retries when the port was taken meanwhile.
 */
export async function startNginx(
  prefix: string,
  replicas: { id: string; port: number }[],
  edit: (config: string) => string = (c) => c,
  renderArgs: string[] = [],
): Promise<Nginx> {
  await mkdir(join(prefix, 'tmp'), { recursive: true });
  await mkdir(join(prefix, 'logs'), { recursive: true });
  for (let attempt = 0; ; attempt++) {
    const port = await freePort();
    const config = edit(await renderConfig(replicas, port, renderArgs));
    const file = join(prefix, 'nginx.conf');
    await writeFile(file, config);
    // As root, nginx would hand its workers to `nobody`, who cannot use the temp paths under PREFIX.
    const user = process.getuid?.() === 0 ? 'user root;' : '';
    const globals = `daemon off; master_process on; pid ${join(prefix, 'nginx.pid')}; ${user}`;
    // Its own process group: the master and its workers are stopped together (a SIGKILL of the master
    // alone leaves the workers running, holding our stderr pipe).
    const proc = spawn(NGINX, ['-p', prefix, '-c', file, '-e', 'stderr', '-g', globals], {
      stdio: ['ignore', 'ignore', 'pipe'],
      detached: true,
    });
    let log = '';
    proc.stderr?.on('data', (chunk: Buffer) => {
      log += chunk.toString('utf8');
    });
    const url = `http://127.0.0.1:${port}`;
    const deadline = Date.now() + 15_000;
    let up = false;
    while (!up && proc.exitCode === null && Date.now() < deadline) {
      up =
        (await fetch(`${url}/healthz`)
          .then((r) => r.status)
          .catch(() => 0)) === 200;
      if (!up) await new Promise((r) => setTimeout(r, 50));
    }
    if (up) {
      const kill = () => stopGroup(proc);
      const accessLog = () => readFile(join(prefix, 'logs', 'access.log'), 'utf8').catch(() => '');
      return { proc, url: `${url}/mcp`, config, log: () => log, accessLog, kill };
    }
    await stopGroup(proc);
    if (!/Address already in use/.test(log) || attempt >= 3) {
      throw new Error(`nginx did not start:\n${log}\n--- configuration ---\n${config}`);
    }
  }
}

/**
 * Stops nginx: SIGTERM to its process group (fast shutdown, the workers exit with the master), then
 * SIGKILL to the group if it is still there after 3 s.
 */
async function stopGroup(proc: ChildProcess): Promise<void> {
  const signal = (name: NodeJS.Signals) => {
    try {
      if (proc.pid !== undefined) process.kill(-proc.pid, name);
    } catch {
      // the group is gone already
    }
  };
  signal('SIGTERM');
  const timer = setTimeout(() => signal('SIGKILL'), 3_000);
  await exited(proc);
  clearTimeout(timer);
  // workers outliving the master (they should not) go too
  signal('SIGKILL');
}

/** Starts the replicas (ids r1..rN) and nginx in front of them. */
export async function startCluster(options: ClusterOptions): Promise<Cluster> {
  const root = await mkdtemp(join(tmpdir(), 'wasmactor-scale-'));
  const replicas: Replica[] = [];
  let nginx: Nginx | undefined;
  let closed = false;
  const close = async () => {
    if (closed) return;
    closed = true;
    await Promise.allSettled([...replicas.map((r) => r.kill()), nginx?.kill()]);
    await rm(root, { recursive: true, force: true });
  };
  try {
    const ids = Array.from({ length: options.replicas }, (_, i) => `r${i + 1}`);
    await Promise.all(
      ids.map(async (id) => {
        const dir = join(root, id, 'components');
        for (const c of options.components ?? []) {
          const args = [BIN, 'component', 'load', c.path, '--component-dir', dir];
          await run(process.execPath, c.stateful ? [...args, '--stateful'] : args, { cwd: REPO_ROOT });
        }
      }),
    );
    const results = await Promise.allSettled(ids.map((id) => startReplica(id, join(root, id), options)));
    for (const r of results) if (r.status === 'fulfilled') replicas.push(r.value);
    const failed = results.find((r) => r.status === 'rejected');
    if (failed) throw failed.reason;
    const started = await startNginx(
      join(root, 'nginx'),
      replicas,
      options.editConfig ?? ((c) => c),
      options.renderArgs ?? [],
    );
    nginx = started;
    return {
      replicas,
      url: started.url,
      config: started.config,
      nginxPid: started.proc.pid as number,
      nginxLog: started.log,
      accessLog: started.accessLog,
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}
