/**
 * Nothing runs before the handshake. In the 2025 protocol era a client must send `initialize` and wait
 * for its answer before anything else but `ping`; the SDK's stdio entry pins a 2025-era server instance
 * for the first message without a `_meta` protocol version, whatever its method, and that instance
 * served a `tools/call` of `load-component` sent first (the component was loaded and persisted).
 *
 * The gate answers such requests with an error until an `initialize` has been answered with a result.
 * It also steps aside once a request of the 2026-07-28 era (one that carries the `_meta` protocol
 * version) other than `server/discover` has been answered with a result: the connection is then pinned
 * to the modern era, where the SDK itself refuses any request without the envelope. `server/discover`
 * alone does not open it, because the SDK can still fall back to a 2025-era instance after it.
 */
import { type JSONRPCMessage, PROTOCOL_VERSION_META_KEY } from '@modelcontextprotocol/server';
import { type ErrorReply, errorReply, INVALID_REQUEST } from './decodeLine.ts';

type Id = string | number;

/** Methods a client may send before the handshake (MCP lifecycle: `ping` is allowed at any time). */
const ALLOWED_BEFORE_HANDSHAKE = new Set(['initialize', 'ping']);

function hasProtocolClaim(params: unknown): boolean {
  if (typeof params !== 'object' || params === null) return false;
  const meta = (params as { _meta?: unknown })._meta;
  return typeof meta === 'object' && meta !== null && PROTOCOL_VERSION_META_KEY in meta;
}

/** Tracks the handshake of one stdio connection from the messages in both directions. */
export class InitializeGate {
  private open = false;
  /** Requests whose successful answer opens the gate. */
  private readonly opening = new Set<Id>();

  /** Whether the handshake has completed. */
  get isOpen(): boolean {
    return this.open;
  }

  /** Inbound: `undefined` to deliver the message, or the error reply that answers it instead. */
  check(message: JSONRPCMessage): ErrorReply | undefined {
    if (this.open || !('method' in message) || !('id' in message)) return undefined;
    const claim = hasProtocolClaim(message.params);
    if (claim) {
      if (message.method !== 'server/discover') this.opening.add(message.id);
      return undefined;
    }
    if (ALLOWED_BEFORE_HANDSHAKE.has(message.method)) {
      if (message.method === 'initialize') this.opening.add(message.id);
      return undefined;
    }
    return errorReply(
      message.id,
      INVALID_REQUEST,
      `Server not initialized: "${message.method.slice(0, 100)}" was sent before the handshake. A 2025-era client sends "initialize" and waits for its answer first; a 2026-07-28 client puts "${PROTOCOL_VERSION_META_KEY}" into params._meta of every request.`,
    );
  }

  /** Outbound: watches for the answer that completes the handshake. */
  sent(message: JSONRPCMessage): void {
    if (this.open || !('id' in message) || 'method' in message) return;
    if (!this.opening.delete(message.id as Id)) return;
    if ('result' in message) {
      this.open = true;
      this.opening.clear();
    }
  }
}
