/**
 * 2025-era clients over Streamable HTTP, with sessions: one `McpServer` and one SDK
 * `WebStandardStreamableHTTPServerTransport` per `Mcp-Session-Id`, its GET stream carrying
 * `tools/list_changed`, DELETE ending it. Session ids are `<replica-id>.<128 random bits>` so a load
 * balancer can route them back to this replica. The number of sessions is capped, and a session without
 * a request for `idleMs` is closed (its client gets `404` and starts a new one, as the protocol says).
 */
import { randomBytes } from 'node:crypto';
import {
  type AuthInfo,
  isInitializeRequest,
  type McpServer,
  WebStandardStreamableHTTPServerTransport,
} from '@modelcontextprotocol/server';
import { log } from '../../runtime/index.ts';
import { jsonRpcError } from './responses.ts';

/** Options of `LegacySessions`. */
export interface LegacySessionOptions {
  /** A new `McpServer` for a new session (`WasmactorServer.createMcpServer`). */
  create: () => McpServer;
  /** Prefix of every session id (`--replica-id`). */
  replicaId: string;
  /** Most sessions open at once (`--max-sessions`); an `initialize` beyond them gets `503`. */
  maxSessions: number;
  /** A session without a request for this long is closed (`--session-idle`). */
  idleMs: number;
  /** Largest POST body, in bytes. */
  maxBodyBytes: number;
  /** Told once when a session ends, however it ends (DELETE, idle expiry, shutdown). */
  onSessionClosed?: (sessionId: string) => void;
}

interface Session {
  id: string;
  transport: WebStandardStreamableHTTPServerTransport;
  mcp: McpServer;
  /** When its last request started or ended. */
  lastActive: number;
  /** Its POST/DELETE requests being answered (a GET stream is listening, not activity). */
  inFlight: number;
}

/** A new session id: the replica id, a dot, 128 random bits url-safe. */
export function newSessionId(replicaId: string): string {
  return `${replicaId}.${randomBytes(16).toString('base64url')}`;
}

function startsSession(body: unknown): boolean {
  return Array.isArray(body) ? body.some((m) => isInitializeRequest(m)) : isInitializeRequest(body);
}

/** The sessions of the 2025-era clients. */
export class LegacySessions {
  private readonly sessions = new Map<string, Session>();
  /** Sessions being created (counted against the cap before their id exists). */
  private opening = 0;
  private readonly sweeper: NodeJS.Timeout;

  constructor(private readonly options: LegacySessionOptions) {
    const every = Math.max(10, Math.min(Math.floor(options.idleMs / 4), 30_000));
    this.sweeper = setInterval(() => this.expireIdle(Date.now()), every);
    this.sweeper.unref();
  }

  /** Sessions open now. */
  get size(): number {
    return this.sessions.size;
  }

  /** Answers one 2025-era request (POST, GET stream or DELETE). */
  async handle(request: Request, authInfo?: AuthInfo): Promise<Response> {
    const id = request.headers.get('mcp-session-id');
    if (id !== null) return this.inSession(id, request, authInfo);
    if (request.method !== 'POST') {
      return jsonRpcError(
        400,
        -32000,
        'Bad Request: Mcp-Session-Id header is required; start a session with initialize',
      );
    }
    let body: unknown;
    try {
      body = await request.clone().json();
    } catch {
      return jsonRpcError(400, -32700, 'Parse error: the body is not JSON');
    }
    if (!startsSession(body)) {
      return jsonRpcError(
        400,
        -32000,
        'Bad Request: Mcp-Session-Id header is required; start a session with initialize',
      );
    }
    return this.open(request, authInfo);
  }

  private async inSession(id: string, request: Request, authInfo?: AuthInfo): Promise<Response> {
    const session = this.sessions.get(id);
    if (!session) {
      return jsonRpcError(
        404,
        -32001,
        'Session not found (it ended, expired or belongs to another server): initialize a new one',
      );
    }
    const counts = request.method !== 'GET';
    session.lastActive = Date.now();
    if (counts) session.inFlight++;
    try {
      return await session.transport.handleRequest(request, authInfo ? { authInfo } : undefined);
    } finally {
      if (counts) session.inFlight--;
      session.lastActive = Date.now();
    }
  }

  private async open(request: Request, authInfo?: AuthInfo): Promise<Response> {
    if (this.sessions.size + this.opening >= this.options.maxSessions) {
      log.warn('legacy session refused: the session cap is reached', {
        maxSessions: this.options.maxSessions,
      });
      return jsonRpcError(
        503,
        -32000,
        `Too many sessions: this server keeps at most ${this.options.maxSessions} (--max-sessions); ` +
          'close one with DELETE or retry later',
        { 'Retry-After': '5' },
      );
    }
    this.opening++;
    let session: Session | undefined;
    try {
      const transport = new WebStandardStreamableHTTPServerTransport({
        sessionIdGenerator: () => newSessionId(this.options.replicaId),
        maxRequestBodySize: this.options.maxBodyBytes,
        onsessioninitialized: (sessionId) => {
          if (!session) return;
          session.id = sessionId;
          this.sessions.set(sessionId, session);
          log.info('legacy session opened', { session: sessionId, sessions: this.sessions.size });
        },
        onsessionclosed: (sessionId) => {
          log.info('legacy session closed by its client', { session: sessionId });
          void this.sessions.get(sessionId)?.mcp.close();
        },
      });
      const mcp = this.options.create();
      session = { id: '', transport, mcp, lastActive: Date.now(), inFlight: 1 };
      const opened = session;
      const onclose = mcp.server.onclose;
      let ended = false;
      mcp.server.onclose = () => {
        if (opened.id !== '' && !ended) {
          ended = true;
          if (this.sessions.get(opened.id) === opened) this.sessions.delete(opened.id);
          this.options.onSessionClosed?.(opened.id);
        }
        onclose?.();
      };
      await mcp.connect(transport);
      const response = await transport.handleRequest(request, authInfo ? { authInfo } : undefined);
      // A refused initialize leaves no session behind.
      if (opened.id === '') void mcp.close();
      return response;
    } finally {
      this.opening--;
      if (session) {
        session.inFlight--;
        session.lastActive = Date.now();
      }
    }
  }

  /** Closes the sessions without a request for `idleMs` (at `now`); returns how many. */
  expireIdle(now: number): number {
    let expired = 0;
    for (const session of [...this.sessions.values()]) {
      if (session.inFlight > 0 || now - session.lastActive < this.options.idleMs) continue;
      this.sessions.delete(session.id);
      expired++;
      log.info('legacy session expired', { session: session.id, idleMs: this.options.idleMs });
      void session.mcp.close();
    }
    return expired;
  }

  /** Ends every session (their GET streams close) and stops expiring. */
  async closeAll(): Promise<void> {
    clearInterval(this.sweeper);
    const open = [...this.sessions.values()];
    this.sessions.clear();
    await Promise.allSettled(open.map((s) => s.mcp.close()));
  }
}
