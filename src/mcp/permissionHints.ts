/**
 * Names the grant that would allow an access the sandbox refused, in wassette's `to_user_message` style
 * ("grant-network-permission {...} would allow this"). The advice is built only from the denials the
 * sandbox recorded on the host side (`CallOutcome.denials`, `RuntimeError.denials`), never from guest
 * output: a guest that prints a line shaped like a denial gets no advice, so it cannot make the server
 * recommend granting a host of its choosing. A guest often reports only a generic error (a JS guest's
 * `fetch` sees "An error occurred while using the host API"), which is why the advice matters. What the
 * guest refuses by itself (a path outside every preopen, an env var it cannot see) never reaches the
 * host, so there is nothing to name then.
 */
import type { CallToolResult } from '@modelcontextprotocol/server';
import type { Denial } from '../runtime/index.ts';
import { appendToMessage } from './messageText.ts';

/** A refused URL as advice shows it: as it is when scheme and authority look like ones, else quoted. */
function shownUrl(scheme: string, authority: string): string {
  const url = `${scheme}://${authority}`;
  const plain = /^[a-z][a-z0-9+.-]{0,30}$/.test(scheme) && /^[A-Za-z0-9.:[\]_-]{1,300}$/.test(authority);
  return plain ? url : JSON.stringify(url);
}

/** One sentence per refused access, each naming the grant that would allow it. */
export function permissionHints(componentId: string, denials: readonly Denial[] | undefined): string[] {
  if (!denials?.length) return [];
  const hints = new Set<string>();
  const id = JSON.stringify(componentId);
  for (const denial of denials) {
    if (denial.kind === 'network') {
      const host = JSON.stringify(denial.authority);
      hints.add(
        `HTTP request to ${shownUrl(denial.scheme, denial.authority)} denied: grant-network-permission {component_id: ${id}, details: {host: ${host}}} would allow this.`,
      );
    } else {
      const uri = JSON.stringify(denial.uri);
      hints.add(
        `Write to ${denial.uri} denied (read-only grant): grant-storage-permission {component_id: ${id}, details: {uri: ${uri}, access: ["read", "write"]}} would allow this.`,
      );
    }
  }
  return [...hints];
}

/**
 * Adds the hints for `denials` to a tool result: after a WIT `err` (or a value) as extra text items,
 * after a fault appended to the error message, which is the first item.
 */
export function withPermissionHints(
  result: CallToolResult,
  componentId: string,
  denials: readonly Denial[] | undefined,
  fault: boolean,
): CallToolResult {
  const hints = permissionHints(componentId, denials);
  if (hints.length === 0) return result;
  if (fault && result.content[0]?.type === 'text') return appendToMessage(result, ...hints);
  return {
    ...result,
    content: [...result.content, ...hints.map((text) => ({ type: 'text' as const, text }))],
  };
}
