/**
 * The stdio transport of `wasmactor serve`: linear line reading with a size limit, JSON-RPC errors for
 * lines that are not messages, and no request served before the handshake.
 */
export { DEFAULT_MAX_MESSAGE_BYTES, StdioTransport, type StdioTransportOptions } from './StdioTransport.ts';
