/**
 * Scale-out behind nginx, for real on loopback: Debian's nginx running the configuration rendered by
 * deploy/nginx/render.mjs, Debian's docker-registry holding the components, three `wasmactor serve --http
 * --manifest FILE` replicas (r1..r3, one manifest of digest-pinned oci:// sources, each replica with its
 * own component directory, download cache and inspector), and
 * three agents (two modern SDK clients, one 2025-era client with a session) that each hold a per-agent
 * instance of the stateful counter on a different replica. What is checked comes from outside the code
 * under test: the counts each replica's inspector reports (`/api/snapshot`), the answers the agents get,
 * and what happens when a replica is killed.
 */
import { execFile } from 'node:child_process';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type PushedComponent, parseOciReference, pushComponent } from '../../src/mcp/sources/oci/index.ts';
import { BIN, fixture, tempDir } from '../mcp/helpers.ts';
import { startRegistry, type TestRegistry } from '../oci/registry.ts';
import { type Cluster, type Replica, startCluster } from './cluster.ts';

interface Agent {
  name: string;
  client: Client;
  transport: StreamableHTTPClientTransport;
  handle: string;
  /** What each `add` of this agent adds: its counts are multiples of it. */
  step: number;
  /** Calls made with the handle (each one must be served by the handle's replica). */
  handleCalls: number;
}

interface InstanceView {
  handle: string;
  served: number;
  inFlight: number;
  queueLength: number;
}
interface ComponentView {
  id: string;
  served: number;
  inFlight: number;
  queueLength: number;
  instanceList: InstanceView[];
}

const run = promisify(execFile);
let cluster: Cluster;
let registry: TestRegistry | undefined;
let removeTemp: (() => Promise<void>) | undefined;
const pushed = new Map<string, PushedComponent>();
const agents: Agent[] = [];

const replicaOf = (handle: string) => handle.slice(0, handle.indexOf('.'));
const byId = (id: string) => cluster.replicas.find((r) => r.id === id) as Replica;

async function snapshot(replica: Replica): Promise<Map<string, ComponentView>> {
  const res = await fetch(`${replica.inspector}/api/snapshot`);
  const body = (await res.json()) as { components: ComponentView[] };
  return new Map(body.components.map((c) => [c.id, c]));
}

/** The inspector's view of `handle` on `replica` (it shows the replica id and the first characters). */
async function instanceOn(replica: Replica, handle: string): Promise<InstanceView | undefined> {
  const counter = (await snapshot(replica)).get('counter');
  return counter?.instanceList.find((i) => handle.startsWith(i.handle.replace(/…$/, '')));
}

async function connect(name: string, mode: 'auto' | 'legacy') {
  const transport = new StreamableHTTPClientTransport(new URL(cluster.url));
  const client = new Client({ name, version: '0.0.0' }, { versionNegotiation: { mode } });
  await client.connect(transport);
  // the SDK mirrors `_instance` into Mcp-Param-Instance once it knows the tool's x-mcp-header
  await client.listTools();
  return { client, transport };
}

function structured(result: unknown): unknown {
  const r = result as { isError?: boolean; structuredContent?: unknown; content?: unknown };
  if (r.isError) throw new Error(`tool error: ${JSON.stringify(r.content)}`);
  return r.structuredContent;
}

async function add(agent: Agent, n = agent.step): Promise<number> {
  agent.handleCalls++;
  const result = await agent.client.callTool({ name: 'add', arguments: { n, _instance: agent.handle } });
  return (structured(result) as { result: number }).result;
}

async function get(agent: Agent): Promise<number> {
  agent.handleCalls++;
  const result = await agent.client.callTool({ name: 'get', arguments: { _instance: agent.handle } });
  return (structured(result) as { result: number }).result;
}

async function hello(client: Client): Promise<string> {
  return (structured(await client.callTool({ name: 'hello', arguments: {} })) as { result: string }).result;
}

/**
 * Opens an instance of the counter on a replica none of `taken` names (the balanced group decides
 * where; the extra ones stay open and idle, so that the set-up does not depend on routing). Bounded.
 */
async function openElsewhere(client: Client, taken: Set<string>): Promise<string> {
  for (let attempt = 0; attempt < 30; attempt++) {
    const opened = structured(
      await client.callTool({ name: 'open-instance', arguments: { component_id: 'counter' } }),
    ) as { instance: string };
    if (!taken.has(replicaOf(opened.instance))) return opened.instance;
  }
  throw new Error(`no instance opened outside ${[...taken].join(', ')} in 30 tries`);
}

beforeAll(async () => {
  const [counter, versioned] = (await fixture('counter', 'versioned')) as [string, string];
  // One registry, one manifest naming digest-pinned components: every replica pulls the same bytes.
  registry = await startRegistry();
  for (const [id, path] of [
    ['counter', counter],
    ['versioned', versioned],
  ] as const) {
    const ref = parseOciReference(`oci://${registry.host}/wasmactor/${id}:1`);
    pushed.set(id, await pushComponent(ref, await readFile(path), { timeoutMs: 20_000 }));
  }
  const temp = await tempDir('wasmactor-scale-manifest-');
  removeTemp = temp.cleanup;
  const manifest = join(temp.dir, 'manifest.yaml');
  await writeFile(
    manifest,
    'components:\n' +
      `  - id: counter\n    source: ${pushed.get('counter')?.pinned}\n    stateful: true\n` +
      `  - id: versioned\n    source: ${pushed.get('versioned')?.pinned}\n`,
  );
  cluster = await startCluster({
    replicas: 3,
    inspect: true,
    manifest,
    // a failed replica is tried again after 1 s, so that the test sees nginx retry it (below)
    renderArgs: ['--fail-timeout', '1s'],
  });
  // The 2025-era agent first: its session (and the instance it opens) lives where its initialize landed.
  const legacy = await connect('agent-c', 'legacy');
  const session = legacy.transport.sessionId ?? '';
  const taken = new Set([replicaOf(session)]);
  const cHandle = structured(
    await legacy.client.callTool({ name: 'open-instance', arguments: { component_id: 'counter' } }),
  ) as { instance: string };
  expect(replicaOf(cHandle.instance), 'an instance opened in a session lives on its replica').toBe(
    replicaOf(session),
  );
  for (const [name, step] of [
    ['agent-a', 1],
    ['agent-b', 2],
  ] as const) {
    const modern = await connect(name, 'auto');
    const handle = await openElsewhere(modern.client, taken);
    taken.add(replicaOf(handle));
    agents.push({ name, ...modern, handle, step, handleCalls: 0 });
  }
  agents.push({ name: 'agent-c', ...legacy, handle: cHandle.instance, step: 3, handleCalls: 0 });
}, 180_000);

afterAll(async () => {
  await Promise.allSettled(agents.map((a) => a.client.close()));
  await cluster?.close();
  await registry?.stop();
  await removeTemp?.();
});

describe('three replicas behind nginx', () => {
  it('every replica pulled the pinned components from the registry itself; the manifest owns the set', async () => {
    for (const replica of cluster.replicas) {
      const { stdout } = await run(process.execPath, [
        BIN,
        'component',
        'list',
        '--json',
        '--component-dir',
        join(replica.dir, 'components'),
      ]);
      const stored = new Map(
        (JSON.parse(stdout) as { id: string; source: string; sha256: string }[]).map((c) => [c.id, c]),
      );
      for (const [id, push] of pushed) {
        expect(stored.get(id)?.source, `${replica.id} stores ${id} from the registry`).toBe(push.pinned);
        expect(`sha256:${stored.get(id)?.sha256}`, `${replica.id} serves the pushed bytes of ${id}`).toBe(
          push.layerDigest,
        );
      }
      expect(
        (await readdir(join(replica.dir, 'downloads'))).length,
        `${replica.id} downloaded itself`,
      ).toBeGreaterThan(0);
    }
    const [a] = agents as [Agent];
    const refused = (await a.client.callTool({
      name: 'load-component',
      arguments: { path: '/nonexistent.wasm' },
    })) as { isError?: boolean; content: { text: string }[] };
    expect(refused.isError).toBe(true);
    expect(refused.content[0]?.text).toMatch(/manifest/);
  });

  it('holds the agents on three different replicas (the set-up the next tests rely on)', () => {
    expect(new Set(agents.map((a) => replicaOf(a.handle))).size).toBe(3);
    expect(replicaOf(agents[2]?.transport.sessionId ?? '')).toBe(replicaOf(agents[2]?.handle ?? ''));
  });

  it('routes every call of a handle to its owner, keeps each agent to its own state, spreads stateless calls', async () => {
    const ROUNDS = 12;
    const [a, b] = agents as [Agent, Agent, Agent];
    let hellos = 0;
    // Each agent: ROUNDS adds in bursts of 3 concurrent calls, while the modern agents also call the
    // stateless `hello`; all agents at once.
    const results = await Promise.all(
      agents.map(async (agent) => {
        const seen: number[] = [];
        for (let burst = 0; burst < ROUNDS / 3; burst++) {
          const stateless = agent === a || agent === b ? [hello(agent.client), hello(agent.client)] : [];
          hellos += stateless.length;
          const [values, greetings] = await Promise.all([
            Promise.all([add(agent), add(agent), add(agent)]),
            Promise.all(stateless),
          ]);
          seen.push(...values);
          for (const g of greetings) expect(g).toBe('Hello from versioned!');
        }
        return seen;
      }),
    );
    for (const [i, agent] of agents.entries()) {
      const expected = Array.from({ length: ROUNDS }, (_, k) => (k + 1) * agent.step);
      expect(
        [...(results[i] as number[])].sort((x, y) => x - y),
        `${agent.name} sees only its own adds`,
      ).toEqual(expected);
      expect(await get(agent)).toBe(ROUNDS * agent.step);
    }

    const views = new Map(
      await Promise.all(cluster.replicas.map(async (r) => [r.id, await snapshot(r)] as const)),
    );
    for (const agent of agents) {
      const owner = replicaOf(agent.handle);
      for (const replica of cluster.replicas) {
        const instance = await instanceOn(replica, agent.handle);
        if (replica.id === owner) {
          expect(instance?.served, `${agent.name}: every call of its handle was served by ${owner}`).toBe(
            agent.handleCalls,
          );
        } else {
          expect(instance, `${agent.name}'s instance exists on ${owner} only`).toBeUndefined();
        }
      }
    }
    const stateless = cluster.replicas.map((r) => views.get(r.id)?.get('versioned')?.served ?? 0);
    expect(
      stateless.reduce((x, y) => x + y, 0),
      'every stateless call was served once',
    ).toBe(hellos);
    for (const [i, served] of stateless.entries()) {
      expect(served, `stateless calls reached ${cluster.replicas[i]?.id} too`).toBeGreaterThan(0);
    }
  });

  it('close-instance names its handle in Mcp-Param-Instance too, so the close reaches the owner', async () => {
    const [a] = agents as [Agent];
    const listed = (await a.client.listTools()).tools.find((t) => t.name === 'close-instance');
    const properties = (listed?.inputSchema.properties ?? {}) as Record<string, Record<string, unknown>>;
    const property = properties.instance;
    expect(property?.['x-mcp-header']).toBe('Instance');
    const opened: string[] = [];
    for (let i = 0; i < 6; i++) {
      const result = await a.client.callTool({
        name: 'open-instance',
        arguments: { component_id: 'counter' },
      });
      opened.push((structured(result) as { instance: string }).instance);
    }
    expect(new Set(opened.map(replicaOf)).size, 'the opens were spread').toBeGreaterThan(1);
    for (const handle of opened) {
      structured(await a.client.callTool({ name: 'close-instance', arguments: { instance: handle } }));
      expect(await instanceOn(byId(replicaOf(handle)), handle)).toBeUndefined();
    }
  });

  /** A raw 2026-07-28 `add` of `n` on `handle` with these routing headers (no SDK client in between). */
  function rawAdd(handle: string, n: number, headers: Record<string, string>) {
    return fetch(cluster.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
        'mcp-protocol-version': '2026-07-28',
        'mcp-name': 'add',
        ...headers,
      },
      body: JSON.stringify({
        jsonrpc: '2.0',
        id: 7,
        method: 'tools/call',
        params: {
          name: 'add',
          arguments: { n, _instance: handle },
          _meta: {
            'io.modelcontextprotocol/protocolVersion': '2026-07-28',
            'io.modelcontextprotocol/clientCapabilities': {},
            'io.modelcontextprotocol/clientInfo': { name: 'raw', version: '0' },
          },
        },
      }),
    });
  }

  it('a request whose Mcp-Method lies (so nginx would retry it) is refused by the replica before it runs', async () => {
    const [a] = agents as [Agent];
    const before = await get(a);
    const res = await rawAdd(a.handle, 1000, { 'mcp-method': 'tools/list', 'mcp-param-instance': a.handle });
    expect(res.status, await res.text()).toBe(400);
    expect(await get(a), 'the lying call never ran').toBe(before);
  });

  it('a handle sent without its Mcp-Param-Instance header (so nginx balances it) is refused wherever it lands', async () => {
    const [a] = agents as [Agent];
    const before = await get(a);
    for (let i = 0; i < 6; i++) {
      const res = await rawAdd(a.handle, 1000, { 'mcp-method': 'tools/call' });
      expect(res.status).toBe(400);
      expect(await res.text()).toMatch(/Mcp-Param-Instance header is absent/);
    }
    expect(await get(a)).toBe(before);
  });

  it('a handle of a replica nginx does not know gets our server\'s "another server" error', async () => {
    const [a] = agents as [Agent];
    const result = (await a.client.callTool({
      name: 'get',
      arguments: { _instance: 'r9.AAAAAAAAAAAAAAAAAAAAAA' },
    })) as { isError?: boolean; content: { text: string }[] };
    expect(result.isError).toBe(true);
    expect(result.content[0]?.text).toMatch(/belongs to server replica "r9"/);
  });

  it('a replica dies: stateless calls go on, its calls in flight fail, its handles get "instance lost", others keep their own', async () => {
    const [a, b, c] = agents as [Agent, Agent, Agent];
    const target = byId(replicaOf(b.handle));
    const states = new Map([a, c].map((agent) => [agent, 0]));
    for (const agent of [a, c]) states.set(agent, await get(agent));

    // In flight on the target when it dies: B's own slow call, and calls of the shared counter instance
    // (no handle, balanced by nginx) until one of them is running there.
    const slow = (client: Client, args: Record<string, unknown>) =>
      client.callTool({ name: 'increment-slowly', arguments: { ms: 4000, ...args } }).then(
        (result) => ({ ok: !(result as { isError?: boolean }).isError, result }),
        (error: Error) => ({ ok: false, result: error.message }),
      );
    b.handleCalls++;
    const pinned = slow(b.client, { _instance: b.handle });
    const shared: ReturnType<typeof slow>[] = [];
    let onTarget = 0;
    for (let i = 0; i < 8 && onTarget === 0; i++) {
      shared.push(slow(a.client, {}));
      await new Promise((r) => setTimeout(r, 150));
      const counter = (await snapshot(target)).get('counter');
      onTarget = (counter?.inFlight ?? 0) + (counter?.queueLength ?? 0);
    }
    expect(onTarget, 'a shared-instance call is running on the replica about to die').toBeGreaterThan(0);
    await expect.poll(async () => (await instanceOn(target, b.handle))?.inFlight).toBe(1);
    const counter = (await snapshot(target)).get('counter');
    onTarget = (counter?.inFlight ?? 0) + (counter?.queueLength ?? 0);

    await target.kill();

    const pinnedOutcome = await pinned;
    expect(pinnedOutcome.ok, `B's call in flight: ${JSON.stringify(pinnedOutcome.result)}`).toBe(false);
    const sharedOutcomes = await Promise.all(shared);
    expect(
      sharedOutcomes.filter((o) => !o.ok).length,
      'exactly the calls in flight on the dead replica failed (none was run again elsewhere)',
    ).toBe(onTarget);

    // stateless calls and discovery keep working through the others: right away (the failures above
    // took the dead replica out of the balanced group), and once nginx tries it again after the
    // --fail-timeout (connection refused: the request is sent to another replica)
    for (let i = 0; i < 3; i++) expect(await hello(a.client)).toBe('Hello from versioned!');
    await new Promise((r) => setTimeout(r, 1500));
    // nginx's own error log shows when it tried the dead replica again (connection refused)
    const refusals = () =>
      cluster
        .nginxLog()
        .split('\n')
        .filter((line) => line.includes('connect() failed') && line.includes(`:${target.port}/`)).length;
    const before = refusals();
    for (let i = 0; i < 30 && refusals() === before; i++) {
      expect(await hello(a.client)).toBe('Hello from versioned!');
    }
    expect(
      refusals(),
      'nginx tried the dead replica again, and the call went to another one',
    ).toBeGreaterThan(before);
    for (let i = 0; i < 3; i++)
      expect((await a.client.listTools()).tools.some((t) => t.name === 'hello')).toBe(true);

    // the dead replica's handle: a clear error, every time
    for (let i = 0; i < 3; i++) {
      await expect(get(b)).rejects.toThrow(/instance lost.*open a new instance/);
    }
    // the others still see exactly their own state
    for (const agent of [a, c]) expect(await get(agent)).toBe(states.get(agent));

    // B starts over on a live replica
    const fresh = await openElsewhere(b.client, new Set([target.id]));
    b.handle = fresh;
    expect(await add(b, 2)).toBe(2);

    // a 2025-era session of the dead replica is told to start a new one
    const lost = await fetch(cluster.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
        'mcp-session-id': `${target.id}.sessionOfTheDeadReplica`,
      },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }),
    });
    expect(lost.status).toBe(404);
    expect(await lost.text()).toMatch(/session lost.*initialize a new session/);
  }, 120_000);
  it('a replica stopped with SIGTERM (a rolling restart) finishes its call in flight while the others take new calls', async () => {
    const [a, b] = agents as [Agent, Agent];
    const target = byId(replicaOf(a.handle));
    const before = await get(a);
    a.handleCalls++;
    const slow = a.client.callTool({
      name: 'increment-slowly',
      arguments: { ms: 2500, _instance: a.handle },
    });
    await expect.poll(async () => (await instanceOn(target, a.handle))?.inFlight).toBe(1);
    const stopped = target.stop();
    // while it shuts down: every stateless call is answered, by the replicas still up
    for (let i = 0; i < 12; i++) {
      expect(await hello(b.client)).toBe('Hello from versioned!');
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(structured(await slow), 'the call in flight finished on its instance').toEqual({
      result: before + 1,
    });
    expect(await stopped).toBe(0);
    await expect(get(a)).rejects.toThrow(/instance lost/);
  }, 60_000);
});
