import type { ServerContext } from '@modelcontextprotocol/server';
import { log } from '../../runtime/index.ts';
import type { ProgressSink } from '../types.ts';

/** Sends `notifications/progress` for a request that asked for it (carries a progress token). */
export function progressSink(ctx: ServerContext): ProgressSink | undefined {
  const progressToken = ctx.mcpReq._meta?.progressToken;
  if (progressToken === undefined) return undefined;
  return ({ message, progress, total }) => {
    ctx.mcpReq
      .notify({ method: 'notifications/progress', params: { progressToken, progress, total, message } })
      .catch((error: unknown) => log.debug('progress notification failed', { error: String(error) }));
  };
}
