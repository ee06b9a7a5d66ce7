/**
 * `wasmactor serve`: the MCP server on stdio. Only JSON-RPC is written to stdout; logs go to stderr.
 */
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { parseArgs } from 'node:util';
import { serveStdio } from '@modelcontextprotocol/server/stdio';
import { createInspector, parseInspectFlag, startInspector } from '../inspector/index.ts';
import { ComponentHost } from '../machines/index.ts';
import {
  createRuntime,
  defaultTimeoutMs,
  isLogLevel,
  log,
  logLevels,
  setLogLevel,
} from '../runtime/index.ts';
import { parseEnvPair, readEnvFile } from '../runtime/policy/index.ts';
import type { CommandIo } from './CommandIo.ts';
import { ComponentStore, defaultComponentDir } from './ComponentStore.ts';
import { StdioTransport } from './stdio/index.ts';
import { WasmactorServer } from './WasmactorServer.ts';

export const serveUsage = `Usage: wasmactor serve [options]

Runs the MCP server on stdio. Components loaded through load-component are kept in the component
directory and loaded again on the next start (stateful ones with a fresh instance).

Options:
  --component-dir DIR        where components, metadata and policies are kept
                             (default $XDG_DATA_HOME/wasmactor/components, or ~/.local/share/wasmactor/components)
  --call-timeout MS          time limit of one call (default 30000)
  --env K=V                  a value components may be granted later (repeatable); never given by default
  --env-file FILE            KEY=VALUE lines, same as --env
  --disable-builtin-tools    serve only the component tools (no load-component, unload-component, ...)
  --examples                 build the example components in examples/ if needed and load them
                             (what \`npm start\` does; needs the repository's dev dependencies)
  --inspect [PORT]           also serve the read-only state-chart inspector on 127.0.0.1
                             (default port 7357; 0 = any free port; the address is printed on stderr)
  --echo-tool                also serve \`echo {value}\` (the floor of bench/mcp.bench.ts)
  --log-level LEVEL          debug | info | warn | error | silent (default info; logs go to stderr)
  -h, --help                 show this help
`;

/**
 * Largest JSON-RPC message read from stdin. The SDK's default (10 MiB) left a tool call with a larger
 * argument (a `list<u8>` of a few MiB encodes to more) without an answer; 256 MiB stays far below memory.
 */
const MAX_MESSAGE_BYTES = 256 * 1024 * 1024;

/** Runs `wasmactor serve`; resolves to the exit code when stdin closes or a signal arrives. */
export async function serveCommand(argv: string[], io: CommandIo): Promise<number> {
  // `--inspect` takes an optional value, which node's parseArgs cannot express: it is taken out first.
  let args: string[];
  let inspectPort: number | undefined;
  try {
    ({ args, port: inspectPort } = parseInspectFlag(argv));
  } catch (error) {
    process.stderr.write(`wasmactor serve: ${(error as Error).message}\n`);
    return 2;
  }
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      help: { type: 'boolean', short: 'h' },
      'component-dir': { type: 'string' },
      'call-timeout': { type: 'string', default: String(defaultTimeoutMs) },
      env: { type: 'string', multiple: true, default: [] },
      'env-file': { type: 'string', multiple: true, default: [] },
      'disable-builtin-tools': { type: 'boolean', default: false },
      examples: { type: 'boolean', default: false },
      'echo-tool': { type: 'boolean', default: false },
      'log-level': { type: 'string', default: 'info' },
    },
  });
  if (values.help) {
    io.stdout.write(serveUsage);
    return 0;
  }
  if (positionals.length > 0) {
    process.stderr.write(`wasmactor serve: unexpected argument "${positionals[0]}"\n\n${serveUsage}`);
    return 2;
  }
  const level = values['log-level'];
  if (!isLogLevel(level)) {
    process.stderr.write(`wasmactor serve: --log-level must be one of ${logLevels.join(', ')}\n`);
    return 2;
  }
  setLogLevel(level);
  const callTimeout = Number(values['call-timeout']);
  if (!Number.isInteger(callTimeout) || callTimeout <= 0) {
    process.stderr.write('wasmactor serve: --call-timeout must be a positive integer (ms)\n');
    return 2;
  }
  const availableEnv: Record<string, string> = {};
  for (const file of values['env-file']) Object.assign(availableEnv, await readEnvFile(resolve(file)));
  for (const pair of values.env) {
    const [key, value] = parseEnvPair(pair, '--env');
    availableEnv[key] = value;
  }

  const componentDir = resolve(values['component-dir'] ?? defaultComponentDir());
  const store = await ComponentStore.open(componentDir);
  // Without --inspect nothing of the inspector is created: the host gets no `inspect` hook at all.
  const inspector = inspectPort === undefined ? undefined : createInspector();
  const host = new ComponentHost({
    runtime: createRuntime(),
    defaultTimeoutMs: callTimeout,
    ...(inspector ? { inspect: inspector.inspect } : {}),
  });
  const pkg = JSON.parse(await readFile(new URL('../../package.json', import.meta.url), 'utf8')) as {
    version: string;
  };
  const server = new WasmactorServer({
    host,
    store,
    builtinTools: !values['disable-builtin-tools'],
    availableEnv,
    echoTool: values['echo-tool'],
    version: pkg.version,
  });
  const { restored, skipped } = await server.restore();
  log.info('wasmactor serving on stdio', {
    componentDir,
    restored,
    skipped: skipped.map((s) => s.id),
    availableEnv: Object.keys(availableEnv),
  });

  let web: { url: string; close(): Promise<void> } | undefined;
  if (inspector) {
    try {
      web = await startInspector({ host, inspector, port: inspectPort });
      process.stderr.write(`wasmactor inspector: ${web.url}\n`);
    } catch (error) {
      // MCP keeps working without the page: a taken port is reported, not fatal.
      log.error('cannot start the inspector', { error: (error as Error).message });
    }
  }

  const handle = serveStdio(() => server.createMcpServer(), {
    transport: new StdioTransport(io.stdin as Readable, io.stdout as Writable, {
      maxBufferSize: MAX_MESSAGE_BYTES,
    }),
    onerror: (error) => log.warn('MCP transport error', { error: error.message }),
  });
  if (values.examples) {
    // Loaded while the connection is already open: each one appears with a tools/list_changed.
    void loadExamples(server).catch((error: unknown) =>
      log.error('cannot build or load the examples', { error: (error as Error).message }),
    );
  }

  await new Promise<void>((done) => {
    const finish = () => done();
    io.stdin.once('end', finish);
    io.stdin.once('close', finish);
    process.once('SIGINT', finish);
    process.once('SIGTERM', finish);
  });
  log.info('wasmactor shutting down');
  try {
    await web?.close();
    await handle.close();
  } finally {
    await server.close();
  }
  return 0;
}

/** Builds examples/ (cached) and loads every example that is not loaded with the same bytes already. */
async function loadExamples(server: WasmactorServer): Promise<void> {
  const examples = await import('../../examples/build.ts');
  const built = await examples.buildExamples({ log: (msg: string) => log.info(msg) });
  for (const example of built) {
    const loaded = server.listComponents().find((c) => c.id === example.id);
    if (loaded && server.store) {
      const stored = await server.store.get(example.id).catch(() => undefined);
      if (
        stored &&
        stored.metadata.sha256 === example.sha256 &&
        stored.metadata.stateful === example.stateful
      )
        continue;
    }
    const report = await server.loadComponent(example.wasmPath, example.stateful);
    log.info('example loaded', {
      id: report.id,
      stateful: example.stateful,
      tools: report.tools.map((t) => t.name),
    });
  }
}
