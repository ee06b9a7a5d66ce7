/**
 * The instance actor's rules computed as pure transitions (`initialTransition`, `transition`): no actor
 * runs, no runtime is touched, and no caller's promise is settled while a transition is computed — the
 * replies show up only as named actions for XState to run.
 */
import { describe, expect, it } from 'vitest';
import { initialTransition, transition } from 'xstate';
import type { CallSettled } from '../../src/machines/componentTypes.ts';
import type { Deferred } from '../../src/machines/deferred.ts';
import { instanceMachine } from '../../src/machines/instanceMachine.ts';
import type { InstanceEvent } from '../../src/machines/instanceTypes.ts';
import type { MachineError } from '../../src/machines/MachineError.ts';
import { RuntimeError } from '../../src/runtime/RuntimeError.ts';
import { instance, outcome, prepared, probe } from './transitionHelpers.ts';

type Snapshot = ReturnType<typeof instanceMachine.transition>;
type Event = Parameters<typeof instanceMachine.transition>[1];
const childDone = (actorId: string, output: unknown) =>
  ({ type: `xstate.done.actor.${actorId}`, actorId, output }) as unknown as Event;
const childError = (actorId: string, error: unknown) =>
  ({ type: `xstate.error.actor.${actorId}`, actorId, error }) as unknown as Event;
/** The executor's report that a call ended. */
const settledEvent = (settled: CallSettled): Event => ({ type: 'CALL.SETTLED', ...settled });
const actionTypes = (actions: { type: string }[]) => actions.map((a) => a.type);

/** The ids XState gives the invoked children: `0.instance.<state>` (apart from the executor). */
function invokeId(snapshot: Snapshot): string {
  const ids = Object.keys(snapshot.children).filter((id) => id !== 'executor');
  expect(ids.length).toBe(1);
  return ids[0] as string;
}

/** The instance's input: handle `r1.abcdefghijkl` of component `c`, generation 1; `open` is the open's reply. */
const input = (open: Deferred<void>) => ({
  handle: 'r1.abcdefghijkl',
  componentId: 'c',
  generation: 1,
  prepared,
  sandbox: {},
  timeoutMs: 1_000,
  idleMs: 60_000,
  reply: open,
});

function started(open = probe<void>()): { snapshot: Snapshot; open: typeof open } {
  const [s0] = initialTransition(instanceMachine, input(open));
  expect(s0.value).toBe('starting');
  const [s1, actions] = transition(instanceMachine, s0, childDone(invokeId(s0), instance));
  expect(actionTypes(actions)).toContain('resolveReply');
  expect(open.settled).toEqual([]); // only the action settles it, once XState runs it
  return { snapshot: s1, open };
}

const call = (callId: string, reply = probe()): InstanceEvent => ({
  type: 'CALL',
  callId,
  tool: 'increment',
  args: {},
  reply,
});

describe('instanceMachine transitions', () => {
  it('starts, then serves its queue one call at a time, in order', () => {
    let { snapshot } = started();
    expect(snapshot.value).toBe('idle');
    [snapshot] = transition(instanceMachine, snapshot, call('a'));
    expect(snapshot.value).toBe('busy');
    expect(snapshot.context.current?.callId).toBe('a');
    [snapshot] = transition(instanceMachine, snapshot, call('b'));
    [snapshot] = transition(instanceMachine, snapshot, call('c'));
    expect(snapshot.context.queue.map((c) => c.callId)).toEqual(['b', 'c']);
    const settled: CallSettled = {
      callId: 'a',
      generation: 1,
      result: { ok: true, outcome: outcome(1), durationMs: 1 },
    };
    const [s2, actions] = transition(instanceMachine, snapshot, settledEvent(settled));
    expect(actionTypes(actions)).toContain('resolveReply');
    expect(s2.value).toBe('busy');
    expect(s2.context.current?.callId).toBe('b');
    expect(s2.context.queue.map((c) => c.callId)).toEqual(['c']);
    expect(s2.context.served).toBe(1);
  });

  it('after a fault, drops only its instance and says its state was lost', () => {
    let { snapshot } = started();
    const reply = probe();
    [snapshot] = transition(instanceMachine, snapshot, call('a', reply));
    const settled: CallSettled = {
      callId: 'a',
      generation: 1,
      result: { ok: false, error: new RuntimeError('trap', 'unreachable'), durationMs: 1 },
    };
    const [s2, actions] = transition(instanceMachine, snapshot, settledEvent(settled));
    const rejection = actions.find((a) => a.type === 'rejectReply') as { params?: { error?: MachineError } };
    expect(rejection.params?.error?.code).toBe('state-lost');
    expect(s2.context.instance).toBeUndefined();
    expect(s2.context.restarts).toBe(1);
    expect(s2.value).toBe('idle');
    expect(reply.settled).toEqual([]);
  });

  it('CLOSE while busy: rejects the queue, lets the call in flight finish, then disposes', () => {
    let { snapshot } = started();
    [snapshot] = transition(instanceMachine, snapshot, call('a'));
    [snapshot] = transition(instanceMachine, snapshot, call('b'));
    const [s1, closeActions] = transition(instanceMachine, snapshot, { type: 'CLOSE', reason: 'reloaded' });
    expect(actionTypes(closeActions)).toContain('rejectAll');
    expect(s1.value).toBe('busy');
    expect(s1.context.queue.length).toBe(0);
    const [late, lateActions] = transition(instanceMachine, s1, call('c'));
    expect(late.context.queue.length).toBe(0); // a call after CLOSE is refused at once, never queued
    expect(actionTypes(lateActions)).toContain('rejectReply');
    const settled: CallSettled = {
      callId: 'a',
      generation: 1,
      result: { ok: true, outcome: outcome(1), durationMs: 1 },
    };
    const [s2] = transition(instanceMachine, s1, settledEvent(settled));
    expect(s2.value).toBe('closing');
    const [s3, rejected] = transition(instanceMachine, s2, call('d'));
    expect(actionTypes(rejected)).toContain('rejectReply');
    expect(s3.context.failed).toBe(s2.context.failed + 1);
    const [s4] = transition(instanceMachine, s3, childDone(invokeId(s3), undefined));
    expect(s4.status).toBe('done');
    expect(s4.output).toEqual({ handle: 'r1.abcdefghijkl', reason: 'reloaded' });
  });

  it('a failed start rejects the open and ends as failed', () => {
    const open = probe<void>();
    const [s0] = initialTransition(instanceMachine, input(open));
    const [s1, actions] = transition(
      instanceMachine,
      s0,
      childError(invokeId(s0), new RuntimeError('trap', 'init')),
    );
    expect(actionTypes(actions)).toContain('rejectAll');
    expect(s1.value).toBe('closing');
    const [s2] = transition(instanceMachine, s1, childDone(invokeId(s1), undefined));
    expect(s2.output).toEqual({ handle: 'r1.abcdefghijkl', reason: 'failed' });
    expect(open.settled).toEqual([]);
  });

  it('KILL while busy stops the call in flight and closes', () => {
    let { snapshot } = started();
    [snapshot] = transition(instanceMachine, snapshot, call('a'));
    const [s1, actions] = transition(instanceMachine, snapshot, { type: 'KILL' });
    expect(actionTypes(actions)).toContain('rejectReply');
    expect(s1.value).toBe('closing');
    expect(s1.context.closing).toBe('stopped');
  });
});
