/** Starting the servers the benches compare, and talking to them as an MCP client does. */
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/client';
import { StdioClientTransport } from '@modelcontextprotocol/client/stdio';

const root = join(import.meta.dirname, '..');

type Result = Awaited<ReturnType<Client['callTool']>>;

/**
 * The whole environment for a server: the SDK's stdio transport passes only a few variables by default
 * (HOME, PATH...), so without this a server would miss the bench home (XDG_CACHE_HOME and the rest) and
 * use the user's real cache, where an earlier run's transpiled copies make a "cold" load warm.
 */
function environment(): Record<string, string> {
  return Object.fromEntries(
    Object.entries(process.env).filter((entry): entry is [string, string] => entry[1] !== undefined),
  );
}

/** Starts a stdio server and connects an SDK client to it. */
export async function connect(command: string, args: string[]): Promise<{ client: Client; pid: number }> {
  const transport = new StdioClientTransport({ command, args, env: environment(), stderr: 'inherit' });
  const client = new Client({ name: 'wasmactor-bench', version: '0.0.0' });
  await client.connect(transport);
  return { client, pid: transport.pid ?? -1 };
}

/** `wasmactor serve` with a fresh component directory (its cache and data are in the bench home). */
export function wasmactorArgs(componentDir: string, extra: string[] = []): string[] {
  return [
    join(root, 'bin', 'wasmactor.js'),
    'serve',
    '--component-dir',
    componentDir,
    '--log-level',
    'warn',
    ...extra,
  ];
}

/** The floor: a plain SDK v2 echo server (plain JavaScript, no tsx). */
export const echoFloorArgs = [join(import.meta.dirname, 'floors', 'echoServer.mjs')];

/** A diagnostic floor: the SDK echo server with one bare worker round trip per call. */
export const echoWorkerFloorArgs = [join(import.meta.dirname, 'floors', 'echoWorkerServer.mjs')];

/** The result, or a throw when the tool answered with an error. */
export function ok(result: Result): Result {
  if (result.isError) throw new Error(JSON.stringify(result.content));
  return result;
}
