/**
 * Answering a caller is a side effect: both machines do it only through these named actions, which
 * XState runs after a transition (never while computing one), so `getNextSnapshot` settles nothing.
 */
import type { Deferred } from './deferred.ts';

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
