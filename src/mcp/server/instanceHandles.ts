/**
 * Per-agent instance handles: `<replica-id>.<128 random bits, base64url>`. The replica id lets a load
 * balancer route `Mcp-Param-Instance` to the server that holds the instance; the random part makes a
 * handle a capability (only the agent that opened it can know it).
 */
import { randomBytes } from 'node:crypto';
import { McpError } from '../McpError.ts';

/** A replica id: what may prefix a handle (url-safe, no dot). */
const REPLICA_ID = /^[A-Za-z0-9_-]{1,32}$/;

/** Checks a `--replica-id`; returns the problem, or undefined when it is fine. */
export function replicaIdProblem(id: string): string | undefined {
  return REPLICA_ID.test(id)
    ? undefined
    : `--replica-id must be 1 to 32 characters among A-Z a-z 0-9 _ - (got "${id}")`;
}

/** A short random replica id for a server started without `--replica-id`. */
export function randomReplicaId(): string {
  return `r${randomBytes(4).toString('hex')}`;
}

/** A new handle of this replica: 16 random bytes (128 bits), base64url. */
export function mintHandle(replicaId: string): string {
  return `${replicaId}.${randomBytes(16).toString('base64url')}`;
}

/** The handle as shown in messages: its replica and first characters only. */
function shown(handle: string): string {
  const dot = handle.indexOf('.');
  return dot < 0 ? `${handle.slice(0, 6)}…` : `${handle.slice(0, dot + 7)}…`;
}

/**
 * Refuses a handle that cannot be one of ours: not a `<replica>.<id>` string, or minted by another
 * replica (it must be sent to that server; a load balancer routes on `Mcp-Param-Instance`).
 */
export function checkHandle(handle: string, replicaId: string): McpError | undefined {
  const dot = handle.indexOf('.');
  if (dot <= 0 || dot === handle.length - 1) {
    return new McpError(
      'bad-instance',
      `"${shown(handle)}" is not an instance handle (a handle looks like "${replicaId}.<random>"; get one from open-instance).`,
    );
  }
  const replica = handle.slice(0, dot);
  if (replica !== replicaId) {
    return new McpError(
      'bad-instance',
      `instance ${shown(handle)} belongs to server replica "${replica}", not to this one ("${replicaId}"): send the call to that replica, or open an instance here with open-instance.`,
    );
  }
  return undefined;
}

/**
 * The handles each 2025-era HTTP session opened, so that they can be closed when the session ends
 * (modern-era requests and stdio have no session: their handles end only by close, idle time, reload).
 */
export class SessionInstances {
  readonly #bySession = new Map<string, Set<string>>();
  readonly #sessionOf = new Map<string, string>();

  /** Records that `session` opened `handle`. */
  add(session: string, handle: string): void {
    let handles = this.#bySession.get(session);
    if (!handles) {
      handles = new Set();
      this.#bySession.set(session, handles);
    }
    handles.add(handle);
    this.#sessionOf.set(handle, session);
  }

  /** Forgets `handle` (it was closed). */
  remove(handle: string): void {
    const session = this.#sessionOf.get(handle);
    if (session === undefined) return;
    this.#sessionOf.delete(handle);
    this.#bySession.get(session)?.delete(handle);
  }

  /** Forgets `session` and returns the handles it opened. */
  take(session: string): string[] {
    const handles = [...(this.#bySession.get(session) ?? [])];
    this.#bySession.delete(session);
    for (const handle of handles) this.#sessionOf.delete(handle);
    return handles;
  }
}
