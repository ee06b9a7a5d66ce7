/**
 * The component actor's rules computed as pure transitions (`initialTransition`, `transition`,
 * `getNextSnapshot`): no actor runs, no runtime is touched (the runtime and the prepared component
 * throw when used), and no caller's promise is settled while a transition is computed — the replies
 * show up only as named actions (`resolveReply`, `rejectReply`, `rejectAll`...) for XState to run.
 */
import { describe, expect, it } from 'vitest';
import { type AnyMachineSnapshot, getNextSnapshot, initialTransition, transition } from 'xstate';
import { componentMachine } from '../../src/machines/componentMachine.ts';
import type { CallSettled, ComponentContext, LoadSpec } from '../../src/machines/componentTypes.ts';
import { MachineError } from '../../src/machines/MachineError.ts';
import type { ComponentRuntime, SandboxSpec } from '../../src/runtime/types.ts';
import { fakeSource } from './fakeRuntime.ts';
import { instance, noIo, outcome, prepared, probe } from './transitionHelpers.ts';

const runtime: ComponentRuntime = { prepare: noIo('runtime.prepare') };

function spec(stateful: boolean, sandbox: SandboxSpec = {}): LoadSpec {
  return { source: fakeSource, stateful, sandbox, timeoutMs: 1_000, concurrency: 2, cancelGraceMs: 2_000 };
}

type Snapshot = ReturnType<typeof componentMachine.transition>;
const next = (s: Snapshot, event: Event) => getNextSnapshot(componentMachine, s, event);
const ctx = (s: AnyMachineSnapshot) => s.context as ComponentContext;
const state = (s: AnyMachineSnapshot) => (typeof s.value === 'string' ? s.value : JSON.stringify(s.value));
const ids = (calls: Iterable<{ callId: string }>) => [...calls].map((c) => c.callId);
type Event = Parameters<typeof componentMachine.transition>[1];
/** Events of the machine's own children (the loader, the disposer), as XState delivers them. */
const childDone = (actorId: string, output: unknown) =>
  ({ type: `xstate.done.actor.${actorId}`, actorId, output }) as unknown as Event;
const loaded = () => childDone('load', { prepared, instance });
const disposed = () => childDone('dispose', undefined);
const graceExpired = (callId: string) => ({ type: 'CANCEL.GRACE_EXPIRED', callId }) as Event;
/** The executor's report that a call ended. */
const done = (callId: string, value: number, generation = 1): Event => ({
  type: 'CALL.SETTLED',
  ...({
    callId,
    generation,
    result: { ok: true, outcome: outcome(value), durationMs: 1 },
  } satisfies CallSettled),
});

/** A loaded component at rest (`idle`), reached by pure transitions only. */
function idle(stateful: boolean, sandbox: SandboxSpec = {}): Snapshot {
  const [loading] = initialTransition(componentMachine, {
    id: 'c',
    runtime,
    load: { spec: spec(stateful, sandbox) },
  });
  expect(state(loading)).toBe('loading');
  const s = next(loading, loaded());
  expect(state(s)).toBe('idle');
  return s;
}

function call(s: Snapshot, callId: string, reply = probe()) {
  return { snapshot: next(s, { type: 'CALL', callId, tool: 'increment', args: {}, reply }), reply };
}

/** The named actions a transition leaves for XState to run, with their params. */
function actionsOf(s: Snapshot, event: Event) {
  const [after, actions] = transition(componentMachine, s, event);
  return {
    after,
    actions: actions.map((a) => ({ type: a.type, params: a.params as Record<string, unknown> })),
  };
}

describe('componentMachine, pure transitions', () => {
  it('queue rule: a stateful component has one call in flight, the others wait in arrival order', () => {
    let s = idle(true);
    const started = actionsOf(s, { type: 'CALL', callId: 'a', tool: 'increment', args: {}, reply: probe() });
    const a = call(s, 'a');
    s = a.snapshot;
    const b = call(s, 'b');
    s = b.snapshot;
    const c = call(s, 'c');
    s = c.snapshot;
    expect(state(s)).toBe('busy');
    expect(ids(ctx(s).inFlight)).toEqual(['a']);
    expect(ids(ctx(s).queue)).toEqual(['b', 'c']);
    // a runs on the one long-lived executor (a RUN sent to it), not on an actor of its own
    expect(Object.keys(s.children)).toEqual(['executor']);
    const runs = started.actions.filter((x) => x.type === 'xstate.sendTo');
    expect(runs.map((x) => (x.params.event as { call: { callId: string } }).call.callId)).toEqual(['a']);

    // a finishes: its reply is an action to run, not a settled promise; b goes in flight, c waits
    const { after, actions } = actionsOf(s, done('a', 1));
    expect(a.reply.settled).toEqual([]);
    expect(actions).toContainEqual({ type: 'resolveReply', params: { reply: a.reply, value: outcome(1) } });
    expect(ids(ctx(after).inFlight)).toEqual(['b']);
    expect(ids(ctx(after).queue)).toEqual(['c']);
    s = next(after, done('b', 2));
    expect(ids(ctx(s).inFlight)).toEqual(['c']);
    s = next(s, done('c', 3));
    expect(state(s)).toBe('idle');
    expect(ctx(s).served).toBe(3);
    for (const r of [a, b, c]) expect(r.reply.settled).toEqual([]);
  });

  it('queue rule: a stateless component runs up to its concurrency, the rest in arrival order', () => {
    let s = idle(false);
    for (const id of ['a', 'b', 'c', 'd']) s = call(s, id).snapshot;
    expect(ids(ctx(s).inFlight)).toEqual(['a', 'b']);
    expect(ids(ctx(s).queue)).toEqual(['c', 'd']);
    s = next(s, done('b', 1));
    expect(ids(ctx(s).inFlight)).toEqual(['a', 'c']);
    expect(ids(ctx(s).queue)).toEqual(['d']);
  });

  it('a call settled by a forged or stale event changes nothing', () => {
    let s = idle(true);
    s = call(s, 'a').snapshot;
    s = call(s, 'b').snapshot;
    // not in flight (b is queued), and a stale generation for a
    for (const event of [done('b', 9), done('a', 9, 0)]) {
      const after = next(s, event);
      expect(ids(ctx(after).inFlight)).toEqual(['a']);
      expect(ids(ctx(after).queue)).toEqual(['b']);
    }
  });

  it('cancel rule: a queued call is removed; a stateful call in flight is marked and its reply dropped', () => {
    let s = idle(true);
    const a = call(s, 'a');
    s = a.snapshot;
    const b = call(s, 'b');
    s = b.snapshot;
    const c = call(s, 'c');
    s = c.snapshot;

    const queued = actionsOf(s, { type: 'CANCEL', callId: 'b' });
    expect(b.reply.settled).toEqual([]);
    const rejectB = queued.actions.find((x) => x.type === 'rejectReply');
    expect(rejectB?.params.reply).toBe(b.reply);
    expect(rejectB?.params.error).toMatchObject({ code: 'cancelled' });
    s = queued.after;
    expect(ids(ctx(s).queue)).toEqual(['c']);

    const running = actionsOf(s, { type: 'CANCEL', callId: 'a' });
    expect(a.reply.settled).toEqual([]);
    expect(running.actions.find((x) => x.type === 'rejectReply')?.params.reply).toBe(a.reply);
    // the grace timer is scheduled, not run
    expect(running.actions.map((x) => x.type)).toContain('xstate.raise');
    s = running.after;
    expect(ctx(s).inFlight).toEqual([expect.objectContaining({ callId: 'a', cancelled: true })]);
    expect(ids(ctx(s).queue)).toEqual(['c']); // serialization holds: c still waits

    // a finishes after all: no reply for it, c starts
    const finished = actionsOf(s, done('a', 1));
    expect(finished.actions.filter((x) => x.type === 'resolveReply')).toEqual([]);
    expect(ids(ctx(finished.after).inFlight)).toEqual(['c']);
  });

  it('cancel rule: a cancelled stateful call past its grace is dropped with its instance', () => {
    let s = idle(true);
    s = call(s, 'a').snapshot;
    s = call(s, 'b').snapshot;
    s = next(s, { type: 'CANCEL', callId: 'a' });
    const { after, actions } = actionsOf(s, graceExpired('a'));
    expect(ids(ctx(after).inFlight)).toEqual(['b']); // the next caller is not blocked
    expect(ctx(after).instance).toBeUndefined();
    expect(ctx(after).restarts).toBe(1);
    expect(ctx(after).lastError).toMatch(/did not finish within 2000 ms.*state was lost/);
    // the executor is told to kill the call; the instance is disposed by a child of its own
    expect(actions.map((x) => x.type)).toEqual(
      expect.arrayContaining(['xstate.sendTo', 'xstate.spawnChild']),
    );
    const abort = actions.find((x) => x.type === 'xstate.sendTo')?.params.event;
    expect(abort).toEqual({ type: 'ABORT', callIds: ['a'] });
  });

  it('reload rule: queued calls are kept across a reload and served by the next generation', () => {
    let s = idle(true);
    const a = call(s, 'a');
    s = a.snapshot;
    s = call(s, 'b').snapshot;
    s = call(s, 'c').snapshot;
    const reloadReply = probe<unknown>();
    s = next(s, { type: 'RELOAD', reply: reloadReply });
    expect(state(s)).toBe('{"unloading":"draining"}');
    expect(ids(ctx(s).queue)).toEqual(['b', 'c']);
    s = call(s, 'd').snapshot; // arrives during the reload: kept too
    s = next(s, done('a', 1)); // the call in flight finishes first
    expect(state(s)).toBe('{"unloading":"disposing"}');
    s = next(s, disposed());
    expect(state(s)).toBe('loading');
    expect(ctx(s).generation).toBe(2);
    expect(ids(ctx(s).queue)).toEqual(['b', 'c', 'd']);
    s = next(s, loaded());
    expect(state(s)).toBe('busy');
    expect(ids(ctx(s).inFlight)).toEqual(['b']);
    expect(ids(ctx(s).queue)).toEqual(['c', 'd']);
    expect(reloadReply.settled).toEqual([]);
    expect(a.reply.settled).toEqual([]);
  });

  it('unload rule: queued calls are rejected with `unloaded` (as an action), the call in flight finishes', () => {
    let s = idle(true);
    s = call(s, 'a').snapshot;
    const b = call(s, 'b');
    s = b.snapshot;
    const { after, actions } = actionsOf(s, { type: 'UNLOAD' });
    expect(b.reply.settled).toEqual([]);
    const rejected = actions.find((x) => x.type === 'rejectAll');
    expect(rejected?.params.replies).toEqual([b.reply]);
    expect(rejected?.params.error).toBeInstanceOf(MachineError);
    expect(rejected?.params.error).toMatchObject({ code: 'unloaded' });
    expect(ids(ctx(after).queue)).toEqual([]);
    expect(ids(ctx(after).inFlight)).toEqual(['a']);
  });

  it('sandbox rule: a stateful generation keeps its sandbox until the next reload; stateless follows', () => {
    const granted: SandboxSpec = { env: { NAME: 'new' } };
    let s = idle(true, { env: { NAME: 'old' } });
    s = next(s, { type: 'UPDATE_SANDBOX', sandbox: granted });
    expect(ctx(s).sandbox).toEqual({ env: { NAME: 'old' } });
    expect(ctx(s).spec?.sandbox).toEqual(granted);
    s = next(s, { type: 'RELOAD' });
    s = next(s, disposed());
    expect(ctx(s).sandbox).toEqual(granted);

    let stateless = idle(false, { env: { NAME: 'old' } });
    stateless = next(stateless, { type: 'UPDATE_SANDBOX', sandbox: granted });
    expect(ctx(stateless).sandbox).toEqual(granted);
  });
});
