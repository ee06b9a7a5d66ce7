/**
 * A real OCI registry for tests: Debian's `docker-registry` (CNCF distribution 2.8) started on a free
 * 127.0.0.1 port with a temp storage directory and its own config file, optionally with `htpasswd`
 * (Basic) auth; and a small Bearer-token front (a token endpoint plus a proxy that demands its tokens)
 * for the token-challenge flow. Exported for other suites (nginx in front of a registry).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Debian's package `docker-registry` installs it here (`.ci/run` and `pretest` install the package). */
export const REGISTRY_BIN = '/usr/bin/docker-registry';

/** The user of the auth variants; the bcrypt hash (cost 4) is of this password, made once with crypt(3). */
export const TEST_USER = {
  username: 'tester',
  password: 's3cret-pw',
  bcrypt: '$2b$04$6umi9YDtUWHC/3L/8AUDC.1VHYMYXOB6NIkcueh9DSWDOE6xS1cxa',
} as const;

/** A running registry. */
export interface TestRegistry {
  /** `127.0.0.1:PORT`: what goes after `oci://`. */
  host: string;
  /** `http://127.0.0.1:PORT`. */
  url: string;
  /** The registry's filesystem storage root. */
  storage: string;
  /** Where the registry keeps the blob of `sha256:HEX` (to tamper with it). */
  blobPath(digest: string): string;
  /** What the registry wrote to stderr so far (for a failing test's message). */
  log(): string;
  stop(): Promise<void>;
}

/** A port that was free a moment ago on 127.0.0.1. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Polls `url` until it answers at all (any status), or throws after `timeoutMs`. */
export async function waitForHttp(url: string, timeoutMs: number, describe: () => string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      await fetch(url);
      return;
    } catch {
      if (Date.now() > deadline)
        throw new Error(`${url} did not answer within ${timeoutMs} ms\n${describe()}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}

/** Starts `docker-registry serve CONFIG`; with `htpasswd`, every request needs TEST_USER (Basic). */
export async function startRegistry(options: { htpasswd?: boolean } = {}): Promise<TestRegistry> {
  if (!existsSync(REGISTRY_BIN)) {
    throw new Error(
      `${REGISTRY_BIN} is missing: install Debian's docker-registry (sudo apt-get install docker-registry)`,
    );
  }
  const dir = await mkdtemp(join(tmpdir(), 'wasmactor-registry-'));
  const storage = join(dir, 'storage');
  await mkdir(storage);
  const port = await freePort();
  const auth = options.htpasswd
    ? `auth:\n  htpasswd:\n    realm: wasmactor-test\n    path: ${join(dir, 'htpasswd')}\n`
    : '';
  if (options.htpasswd) await writeFile(join(dir, 'htpasswd'), `${TEST_USER.username}:${TEST_USER.bcrypt}\n`);
  const config = `version: 0.1
log:
  level: warn
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: ${storage}
  delete:
    enabled: true
http:
  addr: 127.0.0.1:${port}
  secret: ${randomBytes(16).toString('hex')}
${auth}`;
  await writeFile(join(dir, 'config.yml'), config);
  let stderr = '';
  const child: ChildProcess = spawn(REGISTRY_BIN, ['serve', join(dir, 'config.yml')], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = `http://127.0.0.1:${port}`;
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      await exited;
    }
    await rm(dir, { recursive: true, force: true });
  };
  try {
    await waitForHttp(`${url}/v2/`, 15_000, () => `docker-registry stderr:\n${stderr}`);
  } catch (error) {
    await stop();
    throw error;
  }
  return {
    host: `127.0.0.1:${port}`,
    url,
    storage,
    blobPath: (digest) => {
      const hex = digest.replace(/^sha256:/, '');
      return join(storage, 'docker/registry/v2/blobs/sha256', hex.slice(0, 2), hex, 'data');
    },
    log: () => stderr,
    stop,
  };
}

/** A Bearer-token front for a registry: `host` is what clients use; tokens come from `/token`. */
export interface BearerFront {
  host: string;
  /** Token requests seen: the Authorization header each carried (undefined: anonymous). */
  tokenRequests: Array<{ authorization: string | undefined; scope: string | null; service: string | null }>;
  stop(): Promise<void>;
}

/**
 * Starts a proxy in front of `registry` that answers 401 with `WWW-Authenticate: Bearer realm=...` unless
 * the request carries a token from its own `/token` endpoint; the endpoint gives tokens for TEST_USER's
 * Basic credentials, and with `anonymousPull` also to anyone for GET/HEAD.
 */
export async function startBearerFront(registry: TestRegistry, options: { anonymousPull?: boolean } = {}) {
  /** Each token and the actions it grants (as a token server grants the scope asked, within the user's rights). */
  const tokens = new Map<string, Set<string>>();
  const tokenRequests: BearerFront['tokenRequests'] = [];
  const basic = `Basic ${Buffer.from(`${TEST_USER.username}:${TEST_USER.password}`).toString('base64')}`;
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://front');
    const host = req.headers.host ?? '';
    if (url.pathname === '/token') {
      tokenRequests.push({
        authorization: req.headers.authorization,
        scope: url.searchParams.get('scope'),
        service: url.searchParams.get('service'),
      });
      const user = req.headers.authorization === basic;
      if (req.headers.authorization !== undefined && !user) {
        res.writeHead(401, { 'content-type': 'application/json' }).end('{"details":"bad credentials"}');
        return;
      }
      const asked = (url.searchParams.get('scope') ?? '').split(':').at(-1)?.split(',') ?? [];
      const rights = user ? ['pull', 'push'] : options.anonymousPull ? ['pull'] : [];
      const token = randomBytes(12).toString('hex');
      tokens.set(token, new Set(asked.filter((action) => rights.includes(action))));
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ token }));
      return;
    }
    const granted = tokens.get((req.headers.authorization ?? '').replace(/^Bearer /, ''));
    const reading = req.method === 'GET' || req.method === 'HEAD';
    const allowed = granted?.has(reading ? 'pull' : 'push') === true;
    if (!allowed) {
      const repo = /^\/v2\/(.+?)\/(manifests|blobs|tags)\//.exec(url.pathname)?.[1] ?? 'catalog';
      const scope = `repository:${repo}:${reading ? 'pull' : 'pull,push'}`;
      res
        .writeHead(401, {
          'www-authenticate': `Bearer realm="http://${host}/token",service="wasmactor-test",scope="${scope}"`,
          'content-type': 'application/json',
        })
        .end('{"errors":[{"code":"UNAUTHORIZED"}]}');
      return;
    }
    const headers = { ...req.headers };
    delete headers.authorization;
    const upstream = httpRequest(`${registry.url}${req.url}`, { method: req.method, headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    host: `127.0.0.1:${port}`,
    tokenRequests,
    stop: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  } satisfies BearerFront;
}

/** Writes a docker config (`DOCKER_CONFIG` directory) with an `auths` entry; answers the config.json path. */
export async function writeDockerConfig(host: string, username: string, password: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'wasmactor-docker-'));
  const auth = Buffer.from(`${username}:${password}`).toString('base64');
  const path = join(dir, 'config.json');
  await writeFile(path, JSON.stringify({ auths: { [host]: { auth } } }));
  return path;
}
