import { request } from 'node:http';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  createInspector,
  DEFAULT_INSPECTOR_PORT,
  describeChart,
  InspectorError,
  type InspectorSnapshot,
  type LogEntry,
  parseInspectFlag,
  type RunningInspector,
  renderChartSvg,
  startInspector,
} from '../../src/inspector/index.ts';
import { ComponentHost, componentMachine } from '../../src/machines/index.ts';
import { createRuntime } from '../../src/runtime/index.ts';
import { fixturePath } from '../helpers/fixtures.ts';

const runtime = createRuntime({ cacheDir: join(tmpdir(), 'wasmactor-test-cache') });

async function until(check: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** A raw HTTP request (fetch forbids setting Host). */
function raw(
  port: number,
  options: { method?: string; path?: string; host?: string },
): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        method: options.method ?? 'GET',
        path: options.path ?? '/',
        headers: { host: options.host ?? `127.0.0.1:${port}` },
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk) => {
          body += chunk;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

describe('inspector over a real host (counter fixture)', () => {
  const inspector = createInspector();
  const host = new ComponentHost({ runtime, inspect: inspector.inspect });
  let web: RunningInspector;

  beforeAll(async () => {
    web = await startInspector({ host, inspector, port: 0 });
    await host.load({ id: 'counter', source: { path: fixturePath('counter') }, stateful: true });
  });
  afterAll(async () => {
    await web?.close();
    await host.stop();
  });

  it('listens on 127.0.0.1 and serves a self-contained page with the chart', async () => {
    expect(web.url).toBe(`http://127.0.0.1:${web.port}/`);
    const res = await fetch(web.url);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/text\/html/);
    const html = await res.text();
    expect(html).toContain('data-id="component.busy"');
    // nothing is loaded from elsewhere
    expect(html).not.toMatch(/<script[^>]+src=|<link[^>]+stylesheet|https?:\/\/(?!www\.w3\.org\/2000\/svg)/);
    // its script is valid JavaScript (an escape lost in the template literal would stop the whole page)
    const script = html.slice(html.indexOf('<script>') + 8, html.lastIndexOf('</script>'));
    expect(() => new Function(script)).not.toThrow();
  });

  it('GET /api/snapshot matches the actors while calls queue, and after they finish', async () => {
    const calls = [1, 2, 3].map(() => host.call('increment-slowly', { ms: 600 }));
    await until(() => host.list()[0]?.queueLength === 2);
    const busy = (await (await fetch(`${web.url}api/snapshot`)).json()) as InspectorSnapshot;
    const actor = host.system.getSnapshot().context.components.counter?.ref.getSnapshot();
    const [summary] = host.list();
    expect(busy.components).toHaveLength(1);
    const view = busy.components[0];
    expect(view).toMatchObject({
      id: 'counter',
      stateful: true,
      state: summary?.state,
      generation: summary?.generation,
      queueLength: actor?.context.queue.length,
      inFlight: actor?.context.inFlight.length,
      served: summary?.served,
      stateValue: actor?.value,
    });
    expect(view?.state).toBe('busy');
    expect(view?.activeStates).toEqual(['component', 'component.busy']);
    expect(view?.queuedCalls.map((c) => c.callId)).toEqual(actor?.context.queue.map((c) => c.callId));
    expect(view?.inFlightCalls).toHaveLength(1);
    expect(view?.inFlightCalls[0]).toMatchObject({
      callId: actor?.context.inFlight[0]?.callId,
      tool: 'increment-slowly',
      cancelled: false,
    });
    expect(view?.inFlightCalls[0]?.runningMs).toBeGreaterThanOrEqual(0);

    await Promise.all(calls);
    const idle = (await (await fetch(`${web.url}api/snapshot`)).json()) as InspectorSnapshot;
    expect(idle.components[0]).toMatchObject({
      ...host.list()[0],
      state: 'idle',
      queueLength: 0,
      inFlight: 0,
      inFlightCalls: [],
    });
    expect(idle.components[0]?.served).toBeGreaterThanOrEqual(3);
  });

  it('logs events, transitions and call durations with outcomes', async () => {
    const before = inspector.seq;
    await host.call('increment-slowly', { ms: 50 });
    await expect(host.call('trap', {})).rejects.toMatchObject({ code: 'state-lost' });
    const log = (await (
      await fetch(`${web.url}api/log?component=counter&since=${before}`)
    ).json()) as LogEntry[];
    const texts = log.map((e) => `${e.kind} ${e.text}`);
    expect(texts.some((t) => /^event CALL: call c\d+ increment-slowly$/.test(t))).toBe(true);
    expect(texts.some((t) => /^transition idle -> busy \(CALL: call c\d+ increment-slowly\)$/.test(t))).toBe(
      true,
    );
    expect(texts.some((t) => /^transition busy -> idle \(call c\d+ increment-slowly ended\)$/.test(t))).toBe(
      true,
    );
    // no actor ids (`call.c12`, `x:5`): each is named by what it means
    expect(texts.filter((t) => /call\.c\d|x:\d/.test(t))).toEqual([]);
    expect(texts).toContain('event done: disposeInstance');
    const done = log.find((e) => e.kind === 'call' && e.tool === 'increment-slowly' && e.outcome === 'ok');
    expect(done?.durationMs).toBeGreaterThanOrEqual(45);
    expect(done?.details).toEqual({
      args: { text: '{"ms":50}' },
      result: { text: expect.stringMatching(/^\d+$/) },
    });
    expect(done?.text).toMatch(/^call c\d+ increment-slowly returned in \d/);
    const trap = log.filter((e) => e.kind === 'call' && e.tool === 'trap');
    expect(trap.map((e) => e.outcome)).toEqual(['started', 'failed']);
    const trapped = trap[1];
    expect(trapped?.error).toMatch(/trapped/);
    expect(trapped?.details).toEqual({ args: { text: '{}' }, error: { text: trapped?.error } });
    expect(host.list()[0]?.lastError).toMatch(/state was lost/);
    expect(log.every((e, i) => i === 0 || e.seq > (log[i - 1]?.seq ?? 0))).toBe(true);
  });

  it('answers unknown paths with 404, other methods with 405, bad input with 400, foreign hosts with 403', async () => {
    expect((await fetch(`${web.url}nope`)).status).toBe(404);
    expect((await fetch(`${web.url}api/snapshot/extra`)).status).toBe(404);
    const post = await fetch(`${web.url}api/snapshot`, { method: 'POST', body: '{}' });
    expect(post.status).toBe(405);
    expect(post.headers.get('allow')).toBe('GET, HEAD');
    expect((await fetch(web.url, { method: 'DELETE' })).status).toBe(405);
    expect((await fetch(`${web.url}api/events`, { method: 'PUT' })).status).toBe(405);
    expect((await fetch(`${web.url}api/log?since=-1`)).status).toBe(400);
    expect((await fetch(`${web.url}api/log?since=abc`)).status).toBe(400);
    expect((await raw(web.port, { host: 'evil.example:80' })).status).toBe(403);
    expect((await raw(web.port, { host: `localhost:${web.port}`, path: '/api/chart' })).status).toBe(200);
    const head = await raw(web.port, { method: 'HEAD', path: '/api/snapshot' });
    expect(head).toMatchObject({ status: 200, body: '' });
    // a request that is not HTTP at all
    const garbage = await new Promise<string>((resolve) => {
      const socket = connect(web.port, '127.0.0.1', () => socket.write('NOT HTTP\r\n\r\n'));
      let text = '';
      socket.on('data', (d) => {
        text += d.toString();
      });
      socket.on('close', () => resolve(text));
    });
    expect(garbage).toMatch(/^HTTP\/1\.1 400/);
    // still serving
    expect((await fetch(`${web.url}api/snapshot`)).status).toBe(200);
  });

  it('streams updates over server-sent events', async () => {
    const controller = new AbortController();
    const res = await fetch(`${web.url}api/events`, { signal: controller.signal });
    expect(res.headers.get('content-type')).toMatch(/text\/event-stream/);
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    const decoder = new TextDecoder();
    const messages: { event: string; data: { snapshot: InspectorSnapshot; log: LogEntry[] } }[] = [];
    let buffer = '';
    const readUntil = async (check: () => boolean) => {
      const deadline = Date.now() + 10_000;
      while (!check()) {
        if (Date.now() > deadline) throw new Error('no such server-sent event in time');
        const { value, done } = await reader.read();
        if (done) throw new Error('stream ended');
        buffer += decoder.decode(value, { stream: true });
        let end = buffer.indexOf('\n\n');
        while (end >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const event = /^event: (.*)$/m.exec(block)?.[1];
          const data = /^data: (.*)$/m.exec(block)?.[1];
          if (event && data) messages.push({ event, data: JSON.parse(data) });
          end = buffer.indexOf('\n\n');
        }
      }
    };
    const stateOf = (m: (typeof messages)[number]) => m.data.snapshot.components[0]?.state;
    await readUntil(() => messages.length > 0);
    expect(messages[0]?.event).toBe('init');
    expect(stateOf(messages[0] as (typeof messages)[number])).toBe('idle');
    expect(messages[0]?.data.log.length).toBeGreaterThan(0);

    const call = host.call('increment-slowly', { ms: 300 });
    await readUntil(() => messages.some((m) => m.event === 'update' && stateOf(m) === 'busy'));
    await call;
    await readUntil(() => messages.some((m, i) => i > 1 && m.event === 'update' && stateOf(m) === 'idle'));
    const pushed = messages.flatMap((m) => (m.event === 'update' ? m.data.log : []));
    expect(pushed.some((e) => e.kind === 'call' && e.outcome === 'ok' && e.tool === 'increment-slowly')).toBe(
      true,
    );
    controller.abort();
  });
});

describe('inspector pieces', () => {
  it('answers 500 when a route throws, logs the error on stderr, and keeps serving', async () => {
    const inspector = createInspector();
    // a host whose every property but its call watch throws: the snapshot route fails, the chart route
    // does not need it
    const broken = new Proxy(
      {},
      {
        get: (_target, key) => {
          if (key === 'watchCalls') return () => () => {};
          throw new Error('host unreadable');
        },
      },
    ) as ComponentHost;
    const web = await startInspector({ host: broken, inspector, port: 0 });
    const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      const res = await fetch(`${web.url}api/snapshot`);
      expect(res.status).toBe(500);
      expect(await res.json()).toEqual({ error: 'host unreadable' });
      const lines = stderr.mock.calls.map(([chunk]) => JSON.parse(String(chunk)) as Record<string, unknown>);
      expect(lines).toContainEqual(
        expect.objectContaining({ level: 'error', path: '/api/snapshot', error: 'host unreadable' }),
      );
      expect((await fetch(`${web.url}api/chart`)).status).toBe(200);
    } finally {
      stderr.mockRestore();
      await web.close();
    }
  });

  it('keeps at most logLimit entries per component', async () => {
    const inspector = createInspector({ logLimit: 5 });
    const host = new ComponentHost({ runtime, inspect: inspector.inspect });
    try {
      await host.load({ id: 'small', source: { path: fixturePath('counter') }, stateful: true });
      for (let i = 0; i < 10; i++) await host.call('increment', {});
      const log = inspector.log({ component: 'small' });
      expect(log).toHaveLength(5);
      expect(log.at(-1)?.seq).toBe(inspector.seq);
      expect(inspector.seq).toBeGreaterThan(30);
    } finally {
      await host.stop();
    }
  });

  it('reads every state and transition of the component machine from its definition', () => {
    const chart = describeChart(componentMachine);
    expect(chart.states.map((s) => s.id)).toEqual([
      'component',
      'component.unloaded',
      'component.loading',
      'component.idle',
      'component.busy',
      'component.unloading',
      'component.unloading.draining',
      'component.unloading.disposing',
    ]);
    const find = (source: string, event: string) =>
      chart.transitions.filter((t) => t.source === `component.${source}` && t.event === event);
    expect(find('busy', 'always')).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ guard: 'isDrained', targets: ['component.idle'] }),
        expect.objectContaining({ guard: 'canStartCall', targets: [], actions: ['startNextCall'] }),
      ]),
    );
    expect(find('loading', 'done: loadComponent')[0]?.targets).toEqual(['component.idle']);
    expect(find('loading', 'error: loadComponent')[0]?.targets).toEqual(['component.unloaded']);
    expect(chart.states.find((s) => s.key === 'loading')?.invoke).toEqual(['loadComponent']);
    expect(chart.states.find((s) => s.key === 'unloading')?.initial).toBe('component.unloading.draining');
    // the chart drawn from it has a node per state and a label per guarded transition
    const svg = renderChartSvg(chart);
    for (const s of chart.states.slice(1)) expect(svg).toContain(`data-id="${s.id}"`);
    expect(svg).toContain('always [isDrained]');
    expect(svg).toContain('done: disposeComponent [hasPendingLoad]');
  });

  it('parses --inspect [PORT]', () => {
    expect(parseInspectFlag(['--log-level', 'debug'])).toEqual({ args: ['--log-level', 'debug'] });
    expect(parseInspectFlag(['--inspect'])).toEqual({ args: [], port: DEFAULT_INSPECTOR_PORT });
    expect(parseInspectFlag(['--inspect', '0', '--examples'])).toEqual({ args: ['--examples'], port: 0 });
    expect(parseInspectFlag(['--inspect', '--examples'])).toEqual({
      args: ['--examples'],
      port: DEFAULT_INSPECTOR_PORT,
    });
    expect(parseInspectFlag(['--inspect=8080'])).toEqual({ args: [], port: 8080 });
    expect(() => parseInspectFlag(['--inspect=x'])).toThrow(InspectorError);
    expect(() => parseInspectFlag(['--inspect', '70000'])).toThrow(/not a port/);
  });

  it('rejects with port-in-use when the port is taken, and with invalid-port for a bad one', async () => {
    const inspector = createInspector();
    const host = new ComponentHost({ runtime, inspect: inspector.inspect });
    const first = await startInspector({ host, inspector });
    try {
      await expect(startInspector({ host, inspector, port: first.port })).rejects.toMatchObject({
        code: 'port-in-use',
      });
      await expect(startInspector({ host, inspector, port: -1 })).rejects.toMatchObject({
        code: 'invalid-port',
      });
    } finally {
      await first.close();
      await host.stop();
    }
  });
});
