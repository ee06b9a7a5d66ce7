/**
 * One line of stdin -> one JSON-RPC message, or the error response JSON-RPC 2.0 prescribes: -32700
 * for a line that is not JSON, -32600 for JSON that is not a message (answered with the request's own id
 * when it has a usable one, else id null). The SDK's `ReadBuffer` dropped both silently, so a client
 * waited forever for an answer.
 */
import { type JSONRPCMessage, parseJSONRPCMessage } from '@modelcontextprotocol/server';

/** JSON-RPC 2.0 error codes used here. */
export const PARSE_ERROR = -32700;
export const INVALID_REQUEST = -32600;

/** A JSON-RPC error response; `id` is null when the request's id cannot be known. */
export interface ErrorReply {
  jsonrpc: '2.0';
  id: string | number | null;
  error: { code: number; message: string };
}

/** What to do with one line. */
export type Decoded =
  | { kind: 'message'; message: JSONRPCMessage }
  | { kind: 'reply'; reply: ErrorReply }
  | { kind: 'ignore'; reason?: string };

const MAX_DETAIL = 200;

/** Builds an error response. */
export function errorReply(id: string | number | null, code: number, message: string): ErrorReply {
  return { jsonrpc: '2.0', id, error: { code, message } };
}

/** The request id of a parsed value, when it is one JSON-RPC allows (a string or an integer). */
export function usableId(value: unknown): string | number | null {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return null;
  const id = (value as { id?: unknown }).id;
  if (typeof id === 'string' || (typeof id === 'number' && Number.isSafeInteger(id))) return id;
  return null;
}

/** Decodes one line (without its '\n'). */
export function decodeLine(line: Buffer): Decoded {
  const text = line.toString('utf8');
  if (text.trim() === '') return { kind: 'ignore' };
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    const detail = (error as Error).message.slice(0, MAX_DETAIL);
    return {
      kind: 'reply',
      reply: errorReply(
        null,
        PARSE_ERROR,
        `Parse error: the line is not valid JSON (${detail}). Send one JSON-RPC message per line, as UTF-8 JSON with no raw newlines inside.`,
      ),
    };
  }
  try {
    return { kind: 'message', message: parseJSONRPCMessage(value) };
  } catch {
    // Not a message. A malformed *response* (an answer to one of our requests) is never answered back.
    if (isResponseLike(value)) return { kind: 'ignore', reason: 'a malformed JSON-RPC response' };
    return {
      kind: 'reply',
      reply: errorReply(usableId(value), INVALID_REQUEST, `Invalid Request: ${shapeProblem(value)}`),
    };
  }
}

function isResponseLike(value: unknown): boolean {
  return (
    typeof value === 'object' &&
    value !== null &&
    !Array.isArray(value) &&
    !('method' in value) &&
    ('result' in value || 'error' in value)
  );
}

/** Names the first thing that keeps `value` from being a JSON-RPC 2.0 request, and how to fix it. */
function shapeProblem(value: unknown): string {
  if (Array.isArray(value))
    return 'batches (JSON arrays) are not supported by MCP; send one message per line.';
  if (typeof value !== 'object' || value === null)
    return `a JSON-RPC message is a JSON object, not ${value === null ? 'null' : typeof value}.`;
  const message = value as Record<string, unknown>;
  if (message.jsonrpc !== '2.0') return 'the "jsonrpc" member must be exactly "2.0".';
  if (typeof message.method !== 'string') return 'the "method" member must be a string.';
  if ('id' in message && usableId(message) === null) return 'the "id" member must be a string or an integer.';
  if ('params' in message && (typeof message.params !== 'object' || message.params === null))
    return 'the "params" member must be an object.';
  const extra = Object.keys(message).filter((k) => !['jsonrpc', 'id', 'method', 'params'].includes(k));
  if (extra.length > 0)
    return `unexpected member ${JSON.stringify(extra[0]?.slice(0, MAX_DETAIL))}; a request has only "jsonrpc", "id", "method" and "params".`;
  return 'the message does not have the shape of a JSON-RPC 2.0 request or notification.';
}
