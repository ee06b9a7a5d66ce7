/**
 * Names the grant that would allow an access the sandbox refused, in wassette's `to_user_message` style
 * ("grant-network-permission {...} would allow this"). The sandbox says what it refused in the call's
 * captured stderr (`[wasmactor] HTTP-request-denied: ...`, `[wasmactor] storage-read-only: ...`), since a
 * guest often reports only a generic error (a JS guest's `fetch` sees "An error occurred while using the
 * host API"). What the guest refuses by itself (a path outside every preopen, an env var it cannot see)
 * never reaches the host, so there is nothing to name then.
 */
import type { CallToolResult } from '@modelcontextprotocol/server';
import type { CapturedOutput } from '../runtime/index.ts';
import { appendToMessage } from './messageText.ts';

const HTTP_DENIED = /^\[wasmactor\] HTTP-request-denied: ([a-z][a-z0-9+.-]*):\/\/(\S*) /gm;
const READ_ONLY = /^\[wasmactor\] storage-read-only: (fs:\/\/\S+) /gm;

/** One sentence per refused access found in `output`, each naming the grant that would allow it. */
export function permissionHints(componentId: string, output: CapturedOutput | undefined): string[] {
  if (!output?.stderr.includes('[wasmactor] ')) return [];
  const hints = new Set<string>();
  const id = JSON.stringify(componentId);
  for (const [, scheme, authority] of output.stderr.matchAll(HTTP_DENIED)) {
    const host = JSON.stringify(authority ?? '');
    hints.add(
      `HTTP request to ${scheme}://${authority} denied: grant-network-permission {component_id: ${id}, details: {host: ${host}}} would allow this.`,
    );
  }
  for (const [, uri] of output.stderr.matchAll(READ_ONLY)) {
    hints.add(
      `Write to ${uri} denied (read-only grant): grant-storage-permission {component_id: ${id}, details: {uri: ${JSON.stringify(uri)}, access: ["read", "write"]}} would allow this.`,
    );
  }
  return [...hints];
}

/**
 * Adds the hints of `output` to a tool result: after a WIT `err` (or a value) as extra text items, after
 * a fault appended to the error message, which is the first item.
 */
export function withPermissionHints(
  result: CallToolResult,
  componentId: string,
  output: CapturedOutput | undefined,
  fault: boolean,
): CallToolResult {
  const hints = permissionHints(componentId, output);
  if (hints.length === 0) return result;
  if (fault && result.content[0]?.type === 'text') return appendToMessage(result, ...hints);
  return {
    ...result,
    content: [...result.content, ...hints.map((text) => ({ type: 'text' as const, text }))],
  };
}
