/** `serve --http`: MCP over Streamable HTTP for both protocol eras, with its security and health checks. */

export {
  DEFAULT_HTTP_HOST,
  type HttpAddress,
  isLoopbackHost,
  parseDuration,
  parseHttpAddress,
} from './address.ts';
export { readAuthToken } from './auth.ts';
export {
  type HttpHandle,
  type HttpServeOptions,
  httpSecurityProblem,
  startHttpServer,
} from './HttpServer.ts';
export { newSessionId } from './LegacySessions.ts';
