/**
 * Answering a caller is a side effect: both machines do it only through these named actions, which
 * XState runs after a transition (never while computing one), so `getNextSnapshot` settles nothing.
 */
import type { ComponentInstance } from '../runtime/index.ts';
import type { ExecutorEvent } from './calls/index.ts';
import type { ComponentContext, ComponentEvent, ComponentInternalEvent } from './componentTypes.ts';
import type { Deferred } from './deferred.ts';
import type { InstanceEvent, InstanceInput } from './instanceTypes.ts';

type Reply = Deferred<never>;

/** The reply actions as `enqueue` takes them. */
export type Effect =
  | { type: 'resolveReply'; params: { reply?: Reply; value?: unknown } }
  | { type: 'rejectReply'; params: { reply?: Reply; error: unknown } }
  | { type: 'resolveAll'; params: { replies: Reply[]; value?: unknown } }
  | { type: 'rejectAll'; params: { replies: Reply[]; error: unknown } };

/**
 * Enqueues an effect from an `enqueueActions` of `setup` (where XState cannot type the sibling actions
 * yet, so `enqueue` accepts no named action: the one cast, checked by `Effect`).
 */
export const effect = (action: Effect): never => action as never;

type Params<T extends Effect['type']> = Extract<Effect, { type: T }>['params'];

/** The implementations; each machine's `setup({ actions })` names them (`resolveReply: (_, p) => ...`). */
export const reply = {
  resolve: (params: Params<'resolveReply'>) => params.reply?.resolve(params.value as never),
  reject: (params: Params<'rejectReply'>) => params.reply?.reject(params.error),
  resolveAll: (params: Params<'resolveAll'>) => {
    for (const r of params.replies) r.resolve(params.value as never);
  },
  rejectAll: (params: Params<'rejectAll'>) => {
    for (const r of params.replies) r.reject(params.error);
  },
};

export type { Params as EffectParams };

/**
 * What the component actor's actions kept apart from its chart (componentCancel.ts,
 * componentInstances.ts) use of XState's `enqueueActions` arguments.
 */
export interface EnqueueArgs {
  context: ComponentContext;
  event: ComponentEvent | ComponentInternalEvent;
  enqueue: {
    (action: never): void;
    assign(values: Partial<ComponentContext>): void;
    sendTo(to: string, event: InstanceEvent | ExecutorEvent): void;
    spawnChild(src: 'instance', options: { id: string; input: InstanceInput }): void;
    spawnChild(src: 'disposeInstance', options: { input: ComponentInstance }): void;
    stopChild(id: string): void;
    cancel(id: string): void;
    raise(event: ComponentInternalEvent, options: { id: string; delay: number }): void;
  };
}

/** The one cast: XState's `enqueue` has these methods, with signatures too generic to name here. */
export const asEnqueueArgs = (args: unknown) => args as EnqueueArgs;
