/**
 * The per-instance WASI sandbox: one import object for jco's `instantiate(getCoreModule, imports)`,
 * built from a `SandboxSpec`. Nothing in it is process-global, so several instances in one worker see
 * their own env, files and output. Everything the spec does not grant is absent: no host env, no
 * preopens but the given ones, no sockets, HTTP only to allowed hosts, stdio captured in memory.
 */
import { cli, clocks, http, io, random, sockets } from '@bytecodealliance/preview2-shim';
import type { CapturedOutput, Denial, SandboxSpec } from '../types.ts';
import { GuestExit } from './errors.ts';
import { createSandboxFilesystem } from './filesystem.ts';
import { createImportStub } from './importStubs.ts';
import { isHostAllowed } from './network.ts';
import {
  CapturedOutputStream,
  DEFAULT_OUTPUT_LIMIT,
  MemoryInputStream,
  OutputBuffer,
  StdinSource,
} from './output.ts';
import { ResourceTracker } from './resources.ts';

export { GuestExit, MissingImportError } from './errors.ts';
export { SandboxDescriptor } from './filesystem.ts';
export { isHostAllowed } from './network.ts';

/** The imports of one component instance and the handles to what the guest did through them. */
export interface Sandbox {
  /**
   * Import object for jco's `instantiate`: a key for every name in `componentImports` (versioned, as
   * the component names them) and for its unversioned form (which is what the glue looks up), plus
   * every WASI interface under its unversioned name. Imports that are not provided are stubs.
   */
  readonly imports: Record<string, unknown>;
  /** Returns what the guest wrote to stdout/stderr since the last take, and starts afresh. */
  takeOutput(): CapturedOutput;
  /**
   * Returns the accesses refused since the last take (each once), and starts afresh. Recorded by the
   * host when it refuses; the guest cannot add to it (its output is never read for this).
   */
  takeDenials(): Denial[];
  /** Closes every descriptor/stream the guest opened, so nothing leaks after the instance is dropped. */
  dispose(): void;
}

/** Distinct refusals kept per call: enough for advice, bounded against a guest that loops over hosts. */
const MAX_DENIALS = 16;

/** The node build's `createSockets` (the package's types describe the browser build). */
type NodeSockets = {
  createSockets(config: { enableNetwork: boolean }): {
    instanceNetwork: unknown;
    network: unknown;
    ipNameLookup: unknown;
    tcp: unknown;
    tcpCreateSocket: unknown;
    udp: unknown;
    udpCreateSocket: unknown;
  };
};

/** `wasi:http/outgoing-handler@0.2.3` -> `wasi:http/outgoing-handler`. */
function unversioned(name: string): string {
  const at = name.indexOf('@');
  return at === -1 ? name : name.slice(0, at);
}

/** `{tag: 'HTTPS'}` (wasi:http scheme) -> `https`; the shim sends https when no scheme is set. */
function schemeName(scheme: { tag: string; val?: string } | undefined): string {
  if (scheme === undefined) return 'https';
  return scheme.tag === 'other' ? String(scheme.val).toLowerCase() : scheme.tag.toLowerCase();
}

/** Builds the sandboxed import object of one instance. */
export function createSandbox(spec: SandboxSpec, componentImports: string[]): Sandbox {
  const tracker = new ResourceTracker();
  const limit = spec.outputLimit ?? DEFAULT_OUTPUT_LIMIT;
  const stdoutBuffer = new OutputBuffer(limit);
  const stderrBuffer = new OutputBuffer(limit);
  const stdin = new StdinSource(spec.stdin);
  const envEntries = Object.entries(spec.env ?? {});
  const allowedHosts = spec.allowedHosts ?? [];
  // Why accesses were refused, for the tool result's advice: once per access per call, host-written.
  let denials = new Map<string, Denial>();
  const deny = (denial: Denial): void => {
    const key = JSON.stringify(denial);
    if (denials.size < MAX_DENIALS && !denials.has(key)) denials.set(key, denial);
  };
  const fs = createSandboxFilesystem(spec.preopens ?? [], tracker, (hostPath) =>
    deny({ kind: 'read-only', uri: `fs://${hostPath}` }),
  );
  // An instance-local network that refuses DNS, TCP and UDP.
  const net = (sockets as unknown as NodeSockets).createSockets({ enableNetwork: false });

  // The shim answers a denied lookup with `permanent-resolver-failure`; `access-denied` says why.
  const ipNameLookup = {
    ...(net.ipNameLookup as object),
    resolveAddresses(): never {
      throw 'access-denied';
    },
  };
  const environment = {
    getEnvironment: (): [string, string][] => envEntries.map(([key, value]) => [key, value]),
    getArguments: (): string[] => [],
    initialCwd: (): string | undefined => undefined,
  };
  const exit = {
    exit(status: { tag: 'ok' | 'err' }): never {
      throw new GuestExit(status.tag === 'err' ? 1 : 0);
    },
    exitWithCode(code: number): never {
      throw new GuestExit(code);
    },
  };
  const outgoingHandler = {
    handle(
      request: { authority(): string | undefined; scheme(): { tag: string; val?: string } | undefined },
      options?: unknown,
    ): unknown {
      const scheme = schemeName(request.scheme());
      if (!isHostAllowed(request.authority(), allowedHosts, scheme)) {
        // JS guests (fetch) see only a generic host error; the denial tells the caller why.
        deny({ kind: 'network', scheme, authority: request.authority() ?? '' });
        throw { tag: 'HTTP-request-denied' };
      }
      return http.outgoingHandler.handle(request as never, options as never);
    },
  };

  const wasi: Record<string, unknown> = {
    'wasi:cli/environment': environment,
    'wasi:cli/exit': exit,
    'wasi:cli/stdin': { getStdin: () => new MemoryInputStream(stdin) },
    'wasi:cli/stdout': { getStdout: () => new CapturedOutputStream(stdoutBuffer) },
    'wasi:cli/stderr': { getStderr: () => new CapturedOutputStream(stderrBuffer) },
    // Not a terminal: the guest must not think it can query one.
    'wasi:cli/terminal-input': cli.terminalInput,
    'wasi:cli/terminal-output': cli.terminalOutput,
    'wasi:cli/terminal-stdin': { getTerminalStdin: () => undefined },
    'wasi:cli/terminal-stdout': { getTerminalStdout: () => undefined },
    'wasi:cli/terminal-stderr': { getTerminalStderr: () => undefined },
    'wasi:filesystem/types': fs.types,
    'wasi:filesystem/preopens': fs.preopens,
    'wasi:io/error': io.error,
    'wasi:io/poll': io.poll,
    'wasi:io/streams': io.streams,
    'wasi:random/random': random.random,
    'wasi:random/insecure': random.insecure,
    'wasi:random/insecure-seed': random.insecureSeed,
    'wasi:clocks/monotonic-clock': clocks.monotonicClock,
    'wasi:clocks/wall-clock': clocks.wallClock,
    'wasi:sockets/instance-network': net.instanceNetwork,
    'wasi:sockets/network': net.network,
    'wasi:sockets/ip-name-lookup': ipNameLookup,
    'wasi:sockets/tcp': net.tcp,
    'wasi:sockets/tcp-create-socket': net.tcpCreateSocket,
    'wasi:sockets/udp': net.udp,
    'wasi:sockets/udp-create-socket': net.udpCreateSocket,
    'wasi:http/types': http.types,
    'wasi:http/outgoing-handler': outgoingHandler,
  };

  const imports: Record<string, unknown> = { ...wasi };
  for (const name of componentImports) {
    const base = unversioned(name);
    const value = wasi[base] ?? imports[base] ?? createImportStub(name);
    imports[name] = value;
    imports[base] ??= value;
  }

  return {
    imports,
    takeOutput(): CapturedOutput {
      const out = stdoutBuffer.take();
      const err = stderrBuffer.take();
      return { stdout: out.text, stderr: err.text, truncated: out.truncated || err.truncated };
    },
    takeDenials(): Denial[] {
      const taken = [...denials.values()];
      denials = new Map();
      return taken;
    },
    dispose(): void {
      tracker.closeAll();
    },
  };
}
