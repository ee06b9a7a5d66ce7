/**
 * The per-instance WASI sandbox: one import object for jco's `instantiate(getCoreModule, imports)`,
 * built from a `SandboxSpec`. Nothing in it is process-global, so several instances in one worker see
 * their own env, files and output. Everything the spec does not grant is absent: no host env, no
 * preopens but the given ones, no sockets, HTTP only to allowed hosts, stdio captured in memory.
 */
import { cli, clocks, io, random } from '@bytecodealliance/preview2-shim';
import type { CapturedOutput, Denial, SandboxSpec } from '../types.ts';
import { configStoreImports } from './configStore.ts';
import { DenialLog } from './denials.ts';
import { GuestExit } from './errors.ts';
import { createSandboxFilesystem } from './filesystem.ts';
import { createImportStub } from './importStubs.ts';
import { networkImports } from './networkImports.ts';
import {
  CapturedOutputStream,
  DEFAULT_OUTPUT_LIMIT,
  MemoryInputStream,
  OutputBuffer,
  StdinSource,
} from './output.ts';
import { ResourceTracker } from './resources.ts';

export { isHostAllowed } from '../network.ts';
export { GuestExit, MissingImportError } from './errors.ts';
export { SandboxDescriptor } from './filesystem.ts';

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

/** `wasi:http/outgoing-handler@0.2.3` -> `wasi:http/outgoing-handler`. */
function unversioned(name: string): string {
  const at = name.indexOf('@');
  return at === -1 ? name : name.slice(0, at);
}

/** The `wasi:cli/*` imports: the spec's env only, captured stdout/stderr, exit as an exception. */
function cliImports(spec: SandboxSpec, stdout: OutputBuffer, stderr: OutputBuffer): Record<string, unknown> {
  const envEntries = Object.entries(spec.env ?? {});
  const stdin = new StdinSource(spec.stdin);
  return {
    'wasi:cli/environment': {
      getEnvironment: (): [string, string][] => envEntries.map(([key, value]) => [key, value]),
      getArguments: (): string[] => [],
      initialCwd: (): string | undefined => undefined,
    },
    'wasi:cli/exit': {
      exit(status: { tag: 'ok' | 'err' }): never {
        throw new GuestExit(status.tag === 'err' ? 1 : 0);
      },
      exitWithCode(code: number): never {
        throw new GuestExit(code);
      },
    },
    'wasi:cli/stdin': { getStdin: () => new MemoryInputStream(stdin) },
    'wasi:cli/stdout': { getStdout: () => new CapturedOutputStream(stdout) },
    'wasi:cli/stderr': { getStderr: () => new CapturedOutputStream(stderr) },
    // Not a terminal: the guest must not think it can query one.
    'wasi:cli/terminal-input': cli.terminalInput,
    'wasi:cli/terminal-output': cli.terminalOutput,
    'wasi:cli/terminal-stdin': { getTerminalStdin: () => undefined },
    'wasi:cli/terminal-stdout': { getTerminalStdout: () => undefined },
    'wasi:cli/terminal-stderr': { getTerminalStderr: () => undefined },
  };
}

/** Builds the sandboxed import object of one instance. */
export function createSandbox(spec: SandboxSpec, componentImports: string[]): Sandbox {
  const tracker = new ResourceTracker();
  const limit = spec.outputLimit ?? DEFAULT_OUTPUT_LIMIT;
  const stdoutBuffer = new OutputBuffer(limit);
  const stderrBuffer = new OutputBuffer(limit);
  const denials = new DenialLog();
  const fs = createSandboxFilesystem(spec.preopens ?? [], tracker, (hostPath) =>
    denials.deny({ kind: 'read-only', uri: `fs://${hostPath}` }),
  );
  const wasi: Record<string, unknown> = {
    ...cliImports(spec, stdoutBuffer, stderrBuffer),
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
    ...networkImports(spec.allowedHosts ?? [], denials.deny),
    ...configStoreImports(spec.env ?? {}),
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
    takeDenials: () => denials.take(),
    dispose(): void {
      tracker.closeAll();
    },
  };
}
