/**
 * The bearer token of `--auth-token-file`: read once at start, compared in constant time, refused with
 * the SDK's `401` + `WWW-Authenticate: Bearer` challenge.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import {
  type AuthInfo,
  OAuthError,
  OAuthErrorCode,
  type OAuthTokenVerifier,
  requireBearerAuth,
} from '@modelcontextprotocol/server';
import { McpError } from '../McpError.ts';

/** Tokens shorter than this are refused at start: they could be guessed. */
const MIN_TOKEN_LENGTH = 16;

/** The token of `file` (its content without surrounding whitespace); an error naming the problem otherwise. */
export async function readAuthToken(file: string): Promise<string> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new McpError('http-config', `cannot read --auth-token-file ${file}: ${(error as Error).message}`, {
      cause: error,
    });
  }
  const token = text.trim();
  if (token.length < MIN_TOKEN_LENGTH || /\s/.test(token)) {
    throw new McpError(
      'http-config',
      `--auth-token-file ${file} must hold one token of at least ${MIN_TOKEN_LENGTH} characters without ` +
        'spaces (e.g. `openssl rand -base64 32 > FILE`)',
    );
  }
  return token;
}

function digest(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}

/** A verifier accepting exactly `token`; the comparison takes the same time whatever the guess. */
export function staticTokenVerifier(token: string): OAuthTokenVerifier {
  const expected = digest(token);
  return {
    async verifyAccessToken(candidate: string): Promise<AuthInfo> {
      // Digests of equal length: timingSafeEqual reveals neither the content nor the length of the token.
      if (!timingSafeEqual(digest(candidate), expected)) {
        throw new OAuthError(
          OAuthErrorCode.InvalidToken,
          'the bearer token is not the one of --auth-token-file',
        );
      }
      // The SDK refuses tokens without an expiry; this one lives as long as the server.
      return {
        token: candidate,
        clientId: 'wasmactor-token',
        scopes: [],
        expiresAt: Math.floor(Date.now() / 1000) + 3600,
      };
    },
  };
}

/** The gate of every `/mcp` request: the verified identity, or the `401` to answer with. */
export type AuthGate = (request: Request) => Promise<AuthInfo | Response>;

/** The gate for `token` (the SDK's `requireBearerAuth`). */
export function bearerGate(token: string): AuthGate {
  return requireBearerAuth({ verifier: staticTokenVerifier(token) });
}
