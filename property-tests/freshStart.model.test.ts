/**
 * Fresh start after reload, model-based: random sequences of load (stateful or stateless) / call /
 * unload / reload / trap / cancel against a simple model counter. After every unload, reload or trap the
 * count starts again from zero, stateless calls never see each other's state, and the actor's summary
 * (state, generation, restarts) always matches the model.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ComponentHost } from '../src/machines/ComponentHost.ts';
import { MachineError } from '../src/machines/MachineError.ts';
import { FakeRuntime, fakeSource } from '../test/machines/fakeRuntime.ts';

const RUNS = 150;

interface Model {
  loaded: boolean;
  stateful: boolean;
  count: number;
  generation: number;
  restarts: number;
}

interface Real {
  host: ComponentHost;
  runtime: FakeRuntime;
}

type Cmd = fc.AsyncCommand<Model, Real>;

async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
    return 'resolved';
  } catch (error) {
    return error instanceof MachineError ? error.code : `not a MachineError: ${String(error)}`;
  }
}

function checkSummary(m: Model, r: Real): void {
  const list = r.host.list();
  if (!m.loaded) {
    expect(list).toEqual([]);
    return;
  }
  expect(list).toHaveLength(1);
  expect(list[0]).toMatchObject({
    id: 'c',
    stateful: m.stateful,
    state: 'idle',
    generation: m.generation,
    restarts: m.restarts,
    queueLength: 0,
    inFlight: 0,
  });
}

class LoadCommand implements Cmd {
  constructor(readonly stateful: boolean) {}
  check = () => true;
  async run(m: Model, r: Real): Promise<void> {
    const result = await r.host.load({ id: 'c', source: fakeSource, stateful: this.stateful });
    expect(result.reloaded).toBe(m.loaded);
    m.generation = m.loaded ? m.generation + 1 : 1;
    if (!m.loaded) m.restarts = 0;
    expect(result.generation).toBe(m.generation);
    m.loaded = true;
    m.stateful = this.stateful;
    m.count = 0;
    checkSummary(m, r);
  }
  toString = () => `load(${this.stateful ? 'stateful' : 'stateless'})`;
}

class IncrementCommand implements Cmd {
  check = () => true;
  async run(m: Model, r: Real): Promise<void> {
    if (!m.loaded) {
      expect(await codeOf(r.host.call('increment', {}))).toBe('unknown-tool');
      return;
    }
    const outcome = await r.host.call('increment', {});
    if (m.stateful) m.count += 1;
    expect(outcome).toMatchObject({ ok: true, value: m.stateful ? m.count : 1 });
    checkSummary(m, r);
  }
  toString = () => 'increment';
}

class GetCommand implements Cmd {
  check = (m: Readonly<Model>) => m.loaded;
  async run(m: Model, r: Real): Promise<void> {
    expect(await r.host.call('get', {})).toMatchObject({ ok: true, value: m.count });
    checkSummary(m, r);
  }
  toString = () => 'get';
}

class UnloadCommand implements Cmd {
  check = () => true;
  async run(m: Model, r: Real): Promise<void> {
    expect(await r.host.unload('c')).toBe(m.loaded);
    m.loaded = false;
    m.count = 0;
    checkSummary(m, r);
  }
  toString = () => 'unload';
}

class TrapCommand implements Cmd {
  check = (m: Readonly<Model>) => m.loaded;
  async run(m: Model, r: Real): Promise<void> {
    expect(await codeOf(r.host.call('trap', {}))).toBe(m.stateful ? 'state-lost' : 'fault');
    if (m.stateful) m.restarts += 1;
    m.count = 0;
    checkSummary(m, r);
  }
  toString = () => 'trap';
}

/** Starts an increment and cancels it while it runs, then a second one that is cancelled while queued. */
class CancelCommand implements Cmd {
  check = (m: Readonly<Model>) => m.loaded;
  async run(m: Model, r: Real): Promise<void> {
    const running = new AbortController();
    const queued = new AbortController();
    const first = r.host.call('increment', {}, { signal: running.signal });
    const second = r.host.call('increment', {}, { signal: queued.signal });
    if (m.stateful) queued.abort();
    running.abort();
    if (!m.stateful) queued.abort();
    expect(await codeOf(first)).toBe('cancelled');
    expect(await codeOf(second)).toBe('cancelled');
    // stateful: the running call finishes (state kept), the queued one never ran
    if (m.stateful) m.count += 1;
    expect(await r.host.call('get', {})).toMatchObject({ ok: true, value: m.count });
    checkSummary(m, r);
  }
  toString = () => 'cancel';
}

describe('fresh start after reload (model-based)', () => {
  it(`matches the model counter over random lifecycles (${RUNS} runs)`, async () => {
    const commands = [
      fc.boolean().map((stateful) => new LoadCommand(stateful)),
      fc.constant(new IncrementCommand()),
      fc.constant(new IncrementCommand()),
      fc.constant(new GetCommand()),
      fc.constant(new UnloadCommand()),
      fc.constant(new TrapCommand()),
      fc.constant(new CancelCommand()),
    ];
    await fc.assert(
      fc.asyncProperty(fc.commands(commands, { maxCommands: 30 }), async (cmds) => {
        const runtime = new FakeRuntime();
        const host = new ComponentHost({ runtime });
        const model: Model = { loaded: false, stateful: false, count: 0, generation: 0, restarts: 0 };
        try {
          await fc.asyncModelRun(() => ({ model, real: { host, runtime } }), cmds);
        } finally {
          await host.stop();
        }
        // nothing survives: every instance ever made is disposed or poisoned
        expect(runtime.liveInstances()).toEqual([]);
        expect(runtime.prepared.every((p) => p.disposed)).toBe(true);
      }),
      { numRuns: RUNS },
    );
  });
});
