/**
 * The pure rules of the component actor, apart from the chart: which call may start, what error a
 * caller sees, and the ids of the actor's children and timers.
 */
import { RuntimeError } from '../runtime/index.ts';
import type { ComponentContext } from './componentTypes.ts';
import { MachineError } from './MachineError.ts';

export function unloadedError(id: string): MachineError {
  return new MachineError('unloaded', `component ${id} was unloaded`);
}

export function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Turns what a call actor caught into the error its caller sees. */
export function callError(
  context: ComponentContext,
  error: unknown,
): { error: MachineError; poisons: boolean } {
  if (error instanceof MachineError) return { error, poisons: false };
  const poisons = !(error instanceof RuntimeError) || error.poisonsInstance;
  const message = describe(error);
  if (!poisons) return { error: new MachineError('call-failed', message, { cause: error }), poisons };
  if (context.spec?.stateful) {
    return {
      error: new MachineError(
        'state-lost',
        `component ${context.id}: ${message}; the component's state was lost; the next call starts a fresh instance`,
        { cause: error },
      ),
      poisons,
    };
  }
  return {
    error: new MachineError('fault', `component ${context.id}: ${message}`, { cause: error }),
    poisons,
  };
}

/** The id of the grace timer of a cancelled stateful call. */
export const graceTimerId = (callId: string) => `grace.${callId}`;

/** Everything a call needs to start, or undefined when there is nothing to start it with. */
export function nextCall(context: ComponentContext) {
  const call = context.queue.at(0);
  const { prepared, spec } = context;
  return call && prepared && spec ? { call, prepared, spec } : undefined;
}

/** The serialization rule: one call at a time when stateful, up to `concurrency` otherwise. */
export function canStartCall(context: ComponentContext): boolean {
  if (context.queue.length === 0 || !context.prepared || !context.spec) return false;
  return context.spec?.stateful
    ? context.inFlight.length === 0
    : context.inFlight.length < (context.spec?.concurrency ?? 1);
}
