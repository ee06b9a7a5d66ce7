/**
 * The per-instance WASI sandbox: one import object for jco's `instantiate(getCoreModule, imports)`,
 * built from a `SandboxSpec`. Nothing in it is process-global, so several instances in one worker see
 * their own env, files and output. Everything the spec does not grant is absent: no host env, no
 * preopens but the given ones, no sockets, HTTP only to allowed hosts, stdio captured in memory.
 */
import { cli, clocks, http, io, random, sockets } from '@bytecodealliance/preview2-shim';
import type { CapturedOutput, SandboxSpec } from '../types.ts';
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
  /** Closes every descriptor/stream the guest opened, so nothing leaks after the instance is dropped. */
  dispose(): void;
}

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
  // Notes for the host in the call's stderr (once per call each): why an access was refused.
  const noted = new Set<string>();
  const note = (text: string): void => {
    if (noted.has(text)) return;
    noted.add(text);
    stderrBuffer.write(new TextEncoder().encode(text));
  };
  const fs = createSandboxFilesystem(spec.preopens ?? [], tracker, (hostPath) =>
    note(`[wasmactor] storage-read-only: fs://${hostPath} is granted read-only\n`),
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
        // JS guests (fetch) see only a generic host error; this note in the call's stderr says why.
        note(
          `[wasmactor] HTTP-request-denied: ${scheme}://${request.authority() ?? ''} is not an allowed host\n`,
        );
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
      noted.clear();
      return { stdout: out.text, stderr: err.text, truncated: out.truncated || err.truncated };
    },
    dispose(): void {
      tracker.closeAll();
    },
  };
}
