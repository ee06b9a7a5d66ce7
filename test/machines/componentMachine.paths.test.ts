/**
 * Path-based check with `@xstate/graph`: starting from a stateful and a stateless load, the traversal
 * feeds every event that can arrive in each state (calls, cancels, the calls' ends and faults,
 * the loader's and disposer's ends, reload, unload, kill, grace expiry) and visits the whole bounded
 * state space by pure transitions. Possible only because no transition touches the runtime or a reply.
 * On every snapshot reached: a stateful component never has two calls in flight, no call is in two
 * places, and the calls run on the one executor (no actor per call).
 */
import { getShortestPaths } from '@xstate/graph';
import { describe, expect, it } from 'vitest';
import type { AnyMachineSnapshot } from 'xstate';
import { componentMachine } from '../../src/machines/componentMachine.ts';
import type { ComponentContext, LoadSpec } from '../../src/machines/componentTypes.ts';
import type { Deferred } from '../../src/machines/deferred.ts';
import { RuntimeError } from '../../src/runtime/RuntimeError.ts';
import type {
  CallOutcome,
  ComponentInstance,
  ComponentRuntime,
  PreparedComponent,
} from '../../src/runtime/types.ts';
import { fakeSource, fakeTool } from './fakeRuntime.ts';

const io = () => {
  throw new Error('I/O while computing a transition');
};
const runtime: ComponentRuntime = { prepare: io };
const prepared: PreparedComponent = {
  sha256: 'x',
  types: { functions: [], imports: [] },
  tools: [fakeTool('increment')],
  instantiate: io,
  callOnce: io,
  dispose: io,
};
const instance: ComponentInstance = { call: io, dispose: io, alive: true };
let settledReplies = 0;
const reply: Deferred<never> = {
  resolve: () => {
    settledReplies += 1;
  },
  reject: () => {
    settledReplies += 1;
  },
};
const outcome: CallOutcome = {
  ok: true,
  value: 1,
  output: { stdout: '', stderr: '', truncated: false },
  durationMs: 1,
};

type Event = Parameters<typeof componentMachine.transition>[1];
const internal = (event: object) => event as Event;
const MAX_CALLS = 3;

function spec(stateful: boolean): LoadSpec {
  return { source: fakeSource, stateful, sandbox: {}, timeoutMs: 1_000, concurrency: 2 };
}

function top(snapshot: AnyMachineSnapshot): string {
  return typeof snapshot.value === 'string' ? snapshot.value : (Object.keys(snapshot.value)[0] ?? '');
}

/** Every event that can arrive in this snapshot. */
function eventsFor(snapshot: AnyMachineSnapshot): Event[] {
  const context = snapshot.context as ComponentContext;
  const live = [...context.queue, ...context.inFlight];
  const nextId = `c${Math.max(0, ...live.map((c) => Number(c.callId.slice(1)))) + 1}`;
  const events: Event[] = [
    { type: 'UNLOAD' },
    { type: 'RELOAD' },
    { type: 'LOAD', spec: spec(context.spec?.stateful ?? true) },
  ];
  if (live.length < MAX_CALLS)
    events.push({ type: 'CALL', callId: nextId, tool: 'increment', args: {}, reply });
  for (const call of live) events.push({ type: 'CANCEL', callId: call.callId });
  for (const call of context.inFlight) {
    const settled = (result: object) =>
      internal({ type: 'CALL.SETTLED', callId: call.callId, generation: context.generation, result });
    events.push(settled({ ok: true, outcome, durationMs: 1 }));
    events.push(settled({ ok: false, error: new RuntimeError('trap', 'trap'), durationMs: 1 }));
    if (call.cancelled) events.push(internal({ type: 'CANCEL.GRACE_EXPIRED', callId: call.callId }));
  }
  if (context.inFlight.length > 0) events.push({ type: 'KILL' });
  if (top(snapshot) === 'loading') {
    events.push(
      internal({ type: 'xstate.done.actor.load', actorId: 'load', output: { prepared, instance } }),
    );
    events.push(internal({ type: 'xstate.error.actor.load', actorId: 'load', error: new Error('bad') }));
  }
  if (JSON.stringify(snapshot.value).includes('disposing')) {
    events.push(internal({ type: 'xstate.done.actor.dispose', actorId: 'dispose', output: undefined }));
  }
  return events;
}

/** The state up to the names of the calls (ranked by age), so that the space stays finite. */
function serialize(snapshot: AnyMachineSnapshot): string {
  const c = snapshot.context as ComponentContext;
  const ids = [...c.queue, ...c.inFlight].map((x) => Number(x.callId.slice(1))).sort((a, b) => a - b);
  const rank = (callId: string) => ids.indexOf(Number(callId.slice(1)));
  return JSON.stringify({
    v: snapshot.value,
    q: c.queue.map((x) => rank(x.callId)),
    f: c.inFlight.map((x) => `${rank(x.callId)}${x.cancelled ? '!' : ''}`),
    p: c.pendingLoad !== undefined,
    i: c.instance !== undefined,
    l: c.prepared !== undefined,
  });
}

describe('componentMachine, every path by pure transitions (@xstate/graph)', () => {
  for (const stateful of [true, false]) {
    it(`${stateful ? 'stateful' : 'stateless'}: reaches every state and keeps the queue invariants`, () => {
      settledReplies = 0;
      const paths = getShortestPaths(componentMachine, {
        input: { id: 'c', runtime, load: { spec: spec(stateful) } },
        events: eventsFor,
        serializeState: (snapshot) => serialize(snapshot) as never,
        limit: 50_000,
      });
      const states = new Set(paths.map((p) => top(p.state)));
      expect([...states].sort()).toEqual(['busy', 'idle', 'loading', 'unloaded', 'unloading']);
      // the situations the rules are about are among them
      const reached = (value: string, pick: (c: ComponentContext) => boolean) =>
        paths.some(
          (p) => JSON.stringify(p.state.value) === value && pick(p.state.context as ComponentContext),
        );
      expect(
        reached('{"unloading":"draining"}', (c) => c.pendingLoad !== undefined && c.queue.length > 0),
      ).toBe(true);
      if (stateful) {
        expect(reached('"busy"', (c) => c.inFlight.length === 1 && c.queue.length === 2)).toBe(true);
        expect(reached('"busy"', (c) => c.inFlight[0]?.cancelled === true && c.queue.length > 0)).toBe(true);
        expect(reached('"idle"', (c) => c.instance === undefined && c.prepared !== undefined)).toBe(true);
      } else {
        expect(reached('"busy"', (c) => c.inFlight.length === 2 && c.queue.length === 1)).toBe(true);
      }
      for (const { state } of paths) {
        const c = state.context as ComponentContext;
        const ids = [...c.queue, ...c.inFlight].map((x) => x.callId);
        expect(new Set(ids).size, serialize(state)).toBe(ids.length);
        if (stateful) expect(c.inFlight.length, serialize(state)).toBeLessThanOrEqual(1);
        else expect(c.inFlight.length, serialize(state)).toBeLessThanOrEqual(2);
        // one long-lived executor runs the calls: no actor per call, none left behind
        expect(state.children.executor, serialize(state)).toBeDefined();
        const actors = Object.keys(state.children).filter((k) => k.startsWith('call.'));
        expect(actors, serialize(state)).toEqual([]);
      }
      // the replies are actions XState would run: computing every path settled none
      expect(settledReplies).toBe(0);
    });
  }
});
