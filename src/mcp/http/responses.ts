/** The small HTTP answers of the HTTP face that are not MCP results. */

/** A JSON-RPC error with no id, as the SDK's transports answer HTTP-level refusals. */
export function jsonRpcError(
  status: number,
  code: number,
  message: string,
  headers: Record<string, string> = {},
): Response {
  return new Response(JSON.stringify({ jsonrpc: '2.0', error: { code, message }, id: null }), {
    status,
    headers: { 'Content-Type': 'application/json', ...headers },
  });
}
