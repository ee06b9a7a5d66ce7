/**
 * `wasmactor serve --inspect`: the page runs beside the MCP server and shows what MCP clients do; without
 * the flag nothing listens.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import type { LogEntry } from '../../src/inspector/index.ts';
import { BIN, fixture, type SpawnedServer, spawnServer, tempDir } from '../mcp/helpers.ts';

type Snapshot = { components: { id: string; state: string; stateful: boolean; generation: number }[] };

let server: SpawnedServer | undefined;
let cleanup: (() => Promise<void>) | undefined;

afterEach(async () => {
  await server?.close();
  await cleanup?.();
  server = undefined;
});

async function inspectorUrl(spawned: SpawnedServer): Promise<string> {
  for (let i = 0; i < 200; i++) {
    const match = /wasmactor inspector: (http:\/\/127\.0\.0\.1:\d+\/)/.exec(spawned.stderr());
    if (match?.[1]) return match[1];
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`no inspector address on stderr:\n${spawned.stderr()}`);
}

/** The first server-sent event of `/api/events` (the whole log and snapshot), as text. */
async function firstEvent(url: string): Promise<string> {
  const controller = new AbortController();
  const res = await fetch(`${url}api/events`, { signal: controller.signal });
  const reader = (res.body as ReadableStream<Uint8Array>).getReader();
  const decoder = new TextDecoder();
  let text = '';
  while (!text.includes('\n\n')) {
    const { value, done } = await reader.read();
    if (done) break;
    text += decoder.decode(value, { stream: true });
  }
  controller.abort();
  return text;
}

/** TCP ports the given process listens on, from `ss` if present, else /proc/net/tcp by socket inode. */
async function listeningPorts(pid: number): Promise<number[]> {
  const { stdout } = await promisify(execFile)('sh', [
    '-c',
    `for fd in /proc/${pid}/fd/*; do readlink "$fd"; done 2>/dev/null | sed -n 's/socket:\\[\\(.*\\)\\]/\\1/p'`,
  ]);
  const inodes = new Set(stdout.split('\n').filter(Boolean));
  const { readFile } = await import('node:fs/promises');
  const ports: number[] = [];
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    const lines = (await readFile(table, 'utf8').catch(() => '')).split('\n').slice(1);
    for (const line of lines) {
      const cols = line.trim().split(/\s+/);
      // st 0A = LISTEN; column 9 is the inode.
      if (cols[3] === '0A' && inodes.has(cols[9] ?? ''))
        ports.push(Number.parseInt(cols[1]?.split(':')[1] ?? '', 16));
    }
  }
  return ports;
}

describe('serve --inspect', () => {
  it('shows the components that an MCP client loads, live', async () => {
    const [counter] = await fixture('counter');
    const temp = await tempDir();
    cleanup = temp.cleanup;
    server = await spawnServer(temp.dir, ['--inspect', '0']);
    const url = await inspectorUrl(server);
    await server.client.callTool({ name: 'load-component', arguments: { path: counter, stateful: true } });
    await server.client.callTool({ name: 'increment', arguments: {} });
    const snapshot = (await (await fetch(`${url}api/snapshot`)).json()) as Snapshot;
    expect(snapshot.components).toEqual([
      expect.objectContaining({ id: 'counter', state: 'idle', stateful: true, generation: 1 }),
    ]);
    await server.client.callTool({ name: 'unload-component', arguments: { id: 'counter' } });
    const after = (await (await fetch(`${url}api/snapshot`)).json()) as Snapshot;
    // An unloaded component leaves the host's list (its log stays readable under /api/log).
    expect(after.components.map((c) => c.id)).not.toContain('counter');
    expect(after.components).toEqual([]);
  });

  it('never shows a secret set with `wasmactor secret`, even when the guest returns or prints it', async () => {
    const [probe] = await fixture('wasi-probe');
    const temp = await tempDir();
    cleanup = temp.cleanup;
    const secret = 'sk-e2e-0c8d1f5a93b7e642';
    const env = { ...process.env, XDG_CONFIG_HOME: join(temp.dir, 'config') };
    await promisify(execFile)(process.execPath, [BIN, 'secret', 'set', 'wasi-probe', `API_TOKEN=${secret}`], {
      env,
    });
    server = await spawnServer(join(temp.dir, 'components'), ['--inspect', '0'], {
      XDG_CONFIG_HOME: env.XDG_CONFIG_HOME,
    });
    const url = await inspectorUrl(server);
    await server.client.callTool({ name: 'load-component', arguments: { path: probe } });
    // the secret reached the component's environment: the client gets what its tool returns
    const got = await server.client.callTool({ name: 'get-env', arguments: { key: 'API_TOKEN' } });
    expect(JSON.stringify(got.structuredContent)).toContain(secret);
    await server.client.callTool({ name: 'print', arguments: { out: `token ${secret}`, err: secret } });
    await server.client.callTool({ name: 'list-env', arguments: {} });
    await server.client.callTool({ name: 'read-file', arguments: { path: `/${secret}` } });

    const log = (await (await fetch(`${url}api/log?component=wasi-probe`)).json()) as LogEntry[];
    const ended = (tool: string) =>
      log.find((e) => e.tool === tool && e.kind === 'call' && e.outcome !== 'started');
    expect(ended('get-env')?.details?.result?.text).toBe('"[env API_TOKEN]"');
    expect(ended('print')?.details).toMatchObject({
      args: { text: '{"out":"token [env API_TOKEN]","err":"[env API_TOKEN]"}' },
      stdout: { text: 'token [env API_TOKEN]' },
      stderr: { text: '[env API_TOKEN]' },
    });
    expect(ended('read-file')?.details?.error?.text).toContain('[env API_TOKEN]');
    for (const path of ['', 'api/snapshot', 'api/log', 'api/chart']) {
      expect(await (await fetch(url + path)).text()).not.toContain(secret);
    }
    expect(await firstEvent(url)).not.toContain(secret);
  });

  it('opens no port without --inspect', async () => {
    const temp = await tempDir();
    cleanup = temp.cleanup;
    server = await spawnServer(temp.dir);
    await server.client.listTools();
    expect(await listeningPorts(server.pid)).toEqual([]);
    // The same check sees the port when the inspector is on (so it can fail).
    await server.close();
    server = await spawnServer(temp.dir, ['--inspect', '0']);
    const url = await inspectorUrl(server);
    expect(await listeningPorts(server.pid)).toContain(Number(new URL(url).port));
  });
});
