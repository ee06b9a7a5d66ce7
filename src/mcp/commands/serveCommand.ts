/**
 * `wasmactor serve`: the MCP server on stdio (the default; only JSON-RPC is written to stdout, logs go to
 * stderr) or, with `--http`, over Streamable HTTP (src/mcp/http).
 */
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { serveStdio } from '@modelcontextprotocol/server/stdio';
import type { Inspector } from '../../inspector/index.ts';
import { ComponentHost, defaultMaxInstances } from '../../machines/index.ts';
import {
  createRuntime,
  defaultMaxComponentSize,
  defaultMaxMemory,
  defaultTimeoutMs,
  log,
} from '../../runtime/index.ts';
import { parseEnvPair, readEnvFile } from '../../runtime/policy/index.ts';
import { ComponentStore, defaultComponentDir } from '../ComponentStore.ts';
import { DEFAULT_MAX_RESULT_BYTES, parseMaxResultSize } from '../callResult.ts';
import { type HttpHandle, parseDuration, readAuthToken, startHttpServer } from '../http/index.ts';
import { McpError } from '../McpError.ts';
import { type Manifest, manifestFlag, restoreManifest } from '../manifest/index.ts';
import { randomReplicaId, replicaIdProblem, WasmactorServer } from '../server/index.ts';
import { registriesProblem } from '../sources/index.ts';
import { StdioTransport } from '../stdio/index.ts';
import type { CommandIo } from './CommandIo.ts';
import { fail, parseCommand } from './commandArgs.ts';
import { type DownloadFlags, downloadFlags } from './downloadFlags.ts';
import { loadExamplesFirst } from './examples.ts';
import { type HttpServeFlags, httpOnlyFlagProblem, parseHttpFlags } from './httpFlags.ts';
import { grantGuard, maxInstancesFlag, sizeFlag } from './serverFlags.ts';

const maxInstancesOption = maxInstancesFlag(defaultMaxInstances);

export const serveUsage = `Usage: wasmactor serve [options]

Runs the MCP server on stdio, or over Streamable HTTP with --http. Components loaded through load-component are kept in the component
directory and loaded again on the next start (stateful ones with a fresh instance).

Options:
  --component-dir DIR        where components, metadata and policies are kept
                             (default $XDG_DATA_HOME/wasmactor/components, or ~/.local/share/wasmactor/components)
  --call-timeout MS          time limit of one call (default 30000)
  --max-result-size BYTES    largest value a call may return, as JSON (default 4Mi; 64Ki at least;
                             also 16Mi, 1Gi...): a larger one gets an error result naming the limit
  --max-component-size SIZE  largest component load-component reads or downloads (default 256Mi)
${downloadFlags.usage}
  --max-memory SIZE          cap on each instance's linear memory unless its policy sets one
                             (default 1Gi; also 512Mi, 2Gi...)
  --allow-broad-grants       allow storage grants of /, /proc, /sys, /dev, the home directory as a
                             whole and the server's own directories (refused by default)
  --env K=V                  a value components may be granted later (repeatable); never given by default
  --env-file FILE            KEY=VALUE lines, same as --env (repeatable)
  --env-from FILE            the same as --env-file, for a launcher that runs on Node 20 itself
                             (\`npx\`, \`node script\`): Node 20 takes --env-file anywhere on its command line
  --registry URL             an OCI registry (oci://HOST[:PORT]) that search-components searches (repeatable)
  --disable-builtin-tools    serve only the component tools (no load-component, unload-component, ...)
  --manifest FILE            serve exactly the components of FILE (see examples/manifest.yaml); load,
                             unload, grant, revoke refused; a bad manifest or component: exit code 2
  --examples                 load the example components in examples/ before answering (what
                             \`npm start\` does): built first where the dev dependencies are installed,
                             else the ones an installed package ships
  --inspect [PORT]           also serve the read-only state-chart inspector on 127.0.0.1
                             (default port 7357; 0 = any free port; the address is printed on stderr)
  --replica-id ID            this server's id, the prefix of the ids it mints (instance handles, HTTP
                             session ids) so a load balancer can route Mcp-Param-Instance: ID.* and
                             Mcp-Session-Id: ID.* back here (default a short random id)
  --instance-idle DURATION   a per-agent instance without calls for this long is closed
                             (default 30m; ms, or a number with s, m or h: 90s, 10m, 2h)
${maxInstancesOption.usage}
  --worker-idle DURATION     a worker thread idle for this long is ended: one of stateless calls (with
                             the instance it keeps ready), or the transpiler kept warm after a load
                             (default 60s; same units as --instance-idle)
  --echo-tool                also serve \`echo {value}\` (the floor of bench/mcp.bench.ts)
  --log-level LEVEL          debug | info | warn | error | silent (default info; logs go to stderr)

Over HTTP (instead of stdio):
  --http [HOST:]PORT         serve MCP at http://HOST:PORT/mcp, both protocol eras, plus GET /healthz and
                             GET /readyz (host default 127.0.0.1; port 0 = any free port; the address is
                             printed on stderr)
  --auth-token-file FILE     every /mcp request must send \`Authorization: Bearer <the token in FILE>\`;
                             required to bind anything but loopback
  --allow-host NAME          a host name clients may reach the server by (Host/Origin check against DNS
                             rebinding; repeatable; loopback names and the bound host are always allowed)
  --max-sessions N           most 2025-era sessions at once (default 64)
  --session-idle DURATION    a 2025-era session without a request for this long is closed (default 30m)
  --max-streams N            most /mcp requests and streams open at once (default 256)
  --max-body-size BYTES      largest request body (default 4Mi; also 16Mi...)
  -h, --help                 show this help
`;

/**
 * Largest JSON-RPC message read from stdin. The SDK's default (10 MiB) left a tool call with a larger
 * argument (a `list<u8>` of a few MiB encodes to more) without an answer; 256 MiB stays far below memory.
 */
const MAX_MESSAGE_BYTES = 256 * 1024 * 1024;

const NAME = 'serve';

const OPTIONS = {
  'component-dir': { type: 'string' },
  'call-timeout': { type: 'string', default: String(defaultTimeoutMs) },
  'max-result-size': { type: 'string', default: String(DEFAULT_MAX_RESULT_BYTES) },
  'max-component-size': { type: 'string', default: String(defaultMaxComponentSize) },
  ...downloadFlags.options,
  'max-memory': { type: 'string', default: String(defaultMaxMemory) },
  'allow-broad-grants': { type: 'boolean', default: false },
  env: { type: 'string', multiple: true, default: [] as string[] },
  'env-file': { type: 'string', multiple: true, default: [] as string[] },
  'env-from': { type: 'string', multiple: true, default: [] as string[] },
  'disable-builtin-tools': { type: 'boolean', default: false },
  registry: { type: 'string', multiple: true, default: [] as string[] },
  examples: { type: 'boolean', default: false },
  manifest: { type: 'string' },
  'echo-tool': { type: 'boolean', default: false },
  'replica-id': { type: 'string' },
  'instance-idle': { type: 'string', default: '30m' },
  ...maxInstancesOption.options,
  'worker-idle': { type: 'string', default: '60s' },
  'log-level': { type: 'string', default: 'info' },
  http: { type: 'string' },
  'auth-token-file': { type: 'string' },
  'allow-host': { type: 'string', multiple: true, default: [] as string[] },
  'max-sessions': { type: 'string', default: '64' },
  'session-idle': { type: 'string', default: '30m' },
  'max-streams': { type: 'string', default: '256' },
  'max-body-size': { type: 'string', default: '4Mi' },
} as const;

/** What `serve` was asked to do. */
interface ServeOptions {
  componentDir: string;
  callTimeout: number;
  maxResultSize: number;
  maxComponentSize: number;
  downloads: DownloadFlags;
  maxMemory: number;
  allowBroadGrants: boolean;
  availableEnv: Record<string, string>;
  builtinTools: boolean;
  examples: boolean;
  manifest: Manifest | undefined;
  echoTool: boolean;
  inspectPort: number | undefined;
  replicaId: string;
  http: HttpServeFlags | undefined;
  instanceIdleMs: number;
  maxInstances: number;
  registries: string[];
  workerIdleMs: number;
}

/** The options of `serve`, or the exit code when the command line is already answered. */
async function parseServeArgs(argv: string[], io: CommandIo): Promise<ServeOptions | number> {
  // `--inspect` takes an optional value, which node's parseArgs cannot express: it is taken out first.
  // The inspector is loaded only when the flag is there: a plain `serve` starts faster without it.
  let args: string[] = [...argv];
  let inspectPort: number | undefined;
  if (argv.some((arg) => arg === '--inspect' || arg.startsWith('--inspect='))) {
    const { parseInspectFlag } = await import('../../inspector/index.ts');
    try {
      ({ args, port: inspectPort } = parseInspectFlag(argv));
    } catch (error) {
      return fail(io, NAME, (error as Error).message);
    }
  }
  const parsed = parseCommand({ name: NAME, usage: serveUsage, options: OPTIONS }, args, io);
  if (typeof parsed === 'number') return parsed;
  const { values, positionals } = parsed;
  if (positionals.length > 0)
    return fail(io, NAME, `unexpected argument "${positionals[0]}"\n\n${serveUsage}`);
  const callTimeout = Number(values['call-timeout']);
  if (!Number.isInteger(callTimeout) || callTimeout <= 0) {
    return fail(io, NAME, '--call-timeout must be a positive integer (ms)');
  }
  const replicaId = values['replica-id'] ?? randomReplicaId();
  const badReplica = replicaIdProblem(replicaId);
  if (badReplica) return fail(io, NAME, badReplica);
  const instanceIdleMs = parseDuration('--instance-idle', values['instance-idle']);
  if (typeof instanceIdleMs === 'string') return fail(io, NAME, instanceIdleMs);
  const maxInstances = maxInstancesOption.parse(values['max-instances']);
  if (typeof maxInstances === 'string') return fail(io, NAME, maxInstances);
  const workerIdleMs = parseDuration('--worker-idle', values['worker-idle']);
  if (typeof workerIdleMs === 'string') return fail(io, NAME, workerIdleMs);
  const maxResultSize = parseMaxResultSize(values['max-result-size']);
  if (typeof maxResultSize === 'string') return fail(io, NAME, maxResultSize);
  const maxComponentSize = sizeFlag('--max-component-size', values['max-component-size']);
  if (typeof maxComponentSize === 'string') return fail(io, NAME, maxComponentSize);
  const downloads = downloadFlags.parse(values);
  if (typeof downloads === 'string') return fail(io, NAME, downloads);
  const maxMemory = sizeFlag('--max-memory', values['max-memory']);
  if (typeof maxMemory === 'string') return fail(io, NAME, maxMemory);
  const availableEnv: Record<string, string> = {};
  for (const file of [...values['env-file'], ...values['env-from']])
    Object.assign(availableEnv, await readEnvFile(resolve(file)));
  for (const pair of values.env) {
    const [key, value] = parseEnvPair(pair, '--env');
    availableEnv[key] = value;
  }
  const http = parseHttpFlags(values);
  if (typeof http === 'string') return fail(io, NAME, http);
  const badRegistry = registriesProblem(values.registry);
  if (badRegistry) return fail(io, NAME, badRegistry);
  const componentDir = resolve(values['component-dir'] ?? defaultComponentDir());
  const guard = grantGuard({ componentDir, allowBroadGrants: values['allow-broad-grants'] });
  const manifest = await manifestFlag(values.manifest, values.examples, guard);
  if (typeof manifest === 'string') return fail(io, NAME, manifest);
  const httpOnly = httpOnlyFlagProblem(http, argv);
  if (httpOnly) return fail(io, NAME, httpOnly);
  return {
    componentDir,
    callTimeout,
    maxResultSize,
    maxComponentSize,
    downloads,
    maxMemory,
    allowBroadGrants: values['allow-broad-grants'],
    availableEnv,
    builtinTools: !values['disable-builtin-tools'],
    examples: values.examples,
    manifest,
    echoTool: values['echo-tool'],
    inspectPort,
    replicaId,
    http,
    instanceIdleMs,
    maxInstances,
    registries: values.registry,
    workerIdleMs,
  };
}

async function packageVersion(): Promise<string> {
  const pkg = JSON.parse(await readFile(new URL('../../../package.json', import.meta.url), 'utf8'));
  return (pkg as { version: string }).version;
}

/** The server of `options` (its components not restored yet: see `restore`). */
async function createServer(
  options: ServeOptions,
  inspector: Inspector | undefined,
): Promise<WasmactorServer> {
  const store = await ComponentStore.open(options.componentDir, {
    maxComponentBytes: options.maxComponentSize,
  });
  const host = new ComponentHost({
    runtime: createRuntime({ workerIdleMs: options.workerIdleMs }),
    defaultTimeoutMs: options.callTimeout,
    instanceIdleMs: options.instanceIdleMs,
    maxInstances: options.maxInstances,
    prepareOptions: { maxMemory: options.maxMemory, maxComponentSize: options.maxComponentSize },
    // Without --inspect nothing of the inspector is created: the host gets no `inspect` hook at all.
    ...(inspector ? { inspect: inspector.inspect } : {}),
  });
  return new WasmactorServer({
    host,
    store,
    builtinTools: options.builtinTools,
    availableEnv: options.availableEnv,
    echoTool: options.echoTool,
    maxResultSize: options.maxResultSize,
    replicaId: options.replicaId,
    maxComponentSize: options.maxComponentSize,
    registries: options.registries,
    ...options.downloads,
    ...(options.manifest ? { manifestPath: options.manifest.path } : {}),
    grantGuard: grantGuard(options),
    version: await packageVersion(),
  });
}

/** Starts the components of the component directory; resolves when every one has been started. */
async function restore(
  server: WasmactorServer,
  options: ServeOptions,
  on: string,
): Promise<{ ready: Promise<void> }> {
  const { restored, skipped, ready } = await (options.manifest
    ? restoreManifest(server, options.manifest, options)
    : server.restore());
  log.info(`wasmactor serving on ${on}`, {
    componentDir: options.componentDir,
    restored,
    skipped: skipped.map((s) => s.id),
    availableEnv: Object.keys(options.availableEnv),
    replicaId: options.replicaId,
  });
  return { ready };
}

/** Serves over HTTP: listening first (`/readyz` says 503), then the restore, then `/readyz` says 200. */
async function serveHttp(
  server: WasmactorServer,
  options: ServeOptions,
  flags: HttpServeFlags,
  io: CommandIo,
) {
  const handle: HttpHandle = await startHttpServer({
    server,
    address: flags.address,
    ...(flags.tokenFile === undefined ? {} : { token: await readAuthToken(flags.tokenFile) }),
    allowedHosts: flags.allowedHosts,
    replicaId: options.replicaId,
    maxSessions: flags.maxSessions,
    maxStreams: flags.maxStreams,
    sessionIdleMs: flags.sessionIdleMs,
    maxBodyBytes: flags.maxBodyBytes,
    // The per-agent instances a 2025-era session opened end with it.
    onSessionClosed: (sessionId) => void server.closeSessionInstances(sessionId),
  });
  io.stderr.write(`wasmactor listening on ${handle.url}\n`);
  // A manifest that cannot be served stops the start: the listener goes too, or it keeps the process.
  const { ready } = await restore(server, options, handle.url).catch((e) =>
    handle.close().then(() => Promise.reject(e)),
  );
  void ready.then(() => handle.setReady());
  return handle;
}

/** The inspector's web page; MCP keeps working without it (a taken port is reported, not fatal). */
async function startPage(server: WasmactorServer, inspector: Inspector, port: number, io: CommandIo) {
  const { startInspector } = await import('../../inspector/index.ts');
  try {
    const web = await startInspector({ host: server.host, inspector, port });
    io.stderr.write(`wasmactor inspector: ${web.url}\n`);
    return web;
  } catch (error) {
    log.error('cannot start the inspector', { error: (error as Error).message });
    return undefined;
  }
}

/** Resolves when the process is asked to stop, or (`stdin` given) when stdin ends. */
function untilEnd(stdin: CommandIo['stdin'] | undefined): Promise<void> {
  return new Promise<void>((done) => {
    stdin?.once('end', done);
    stdin?.once('close', done);
    process.once('SIGINT', done);
    process.once('SIGTERM', done);
  });
}

/**
 * Serves on stdio (the default), after the restore has started and (`--examples`) the examples are
 * loaded, so that the first tools/list holds their tools. Undefined when a stop came during the examples.
 */
async function serveOnStdio(
  server: WasmactorServer,
  options: ServeOptions,
  io: CommandIo,
  ended: Promise<void>,
) {
  await restore(server, options, 'stdio');
  if (options.examples && !(await loadExamplesFirst(server, ended))) return undefined;
  return serveStdio(() => server.createMcpServer(), {
    transport: new StdioTransport(io.stdin as Readable, io.stdout as Writable, {
      maxBufferSize: MAX_MESSAGE_BYTES,
    }),
    onerror: (error) => log.warn('MCP transport error', { error: error.message }),
  });
}

/** Runs `wasmactor serve`; resolves to the exit code when stdin closes (stdio) or a signal arrives. */
export async function serveCommand(argv: string[], io: CommandIo): Promise<number> {
  const options = await parseServeArgs(argv, io);
  if (typeof options === 'number') return options;
  const inspector =
    options.inspectPort === undefined
      ? undefined
      : (await import('../../inspector/index.ts')).createInspector();
  const server = await createServer(options, inspector);
  const ended = untilEnd(options.http ? undefined : io.stdin);
  let handle: { close(): Promise<void> } | undefined;
  try {
    handle = options.http
      ? await serveHttp(server, options, options.http, io)
      : await serveOnStdio(server, options, io, ended);
  } catch (error) {
    await server.close();
    if (error instanceof McpError) return fail(io, NAME, error.message);
    throw error;
  }
  if (!handle) {
    // stopped while the examples were built: nothing was served
    await server.close();
    return 0;
  }
  const web = inspector && (await startPage(server, inspector, options.inspectPort ?? 0, io));
  // Over HTTP the examples arrive while it already listens (each with a tools/list_changed).
  if (options.examples && options.http) void loadExamplesFirst(server, ended);
  if (!options.http && (io.stdin as { isTTY?: boolean }).isTTY) {
    // Someone ran `wasmactor serve` by hand: say what it is waiting for, since it prints nothing else.
    log.info(
      'waiting for an MCP client on stdin: an MCP client starts this command itself (see the README); Ctrl-C stops it',
    );
  }
  await ended;
  log.info('wasmactor shutting down');
  try {
    await web?.close();
    // Over HTTP: stops accepting and lets the requests in flight end (bounded) before the host stops.
    await handle.close();
  } finally {
    await server.close();
  }
  return 0;
}
