/**
 * Requests to one registry for one operation, under one deadline: anonymous first; on a 401 the
 * `WWW-Authenticate` challenge is answered (`Bearer`: a token from the realm, with Basic credentials
 * from the docker config when there are some; `Basic`: those credentials) and the request is sent once
 * more. The token or credentials go only to the registry's own origin (an upload URL or redirect to
 * another host never sees them). A final 401/403 says whether config.json credentials were sent.
 */
import { McpError } from '../../McpError.ts';
import { type BoundedResponse, type ByteProgress, fetchBounded } from '../fetchBounded.ts';
import { dockerConfigPath, type RegistryCredentials, readCredentials } from './dockerConfig.ts';
import { registryBaseUrl } from './reference.ts';

/** Options shared by every request of a session. */
export interface RegistrySessionOptions {
  /** The whole operation (every request, redirect and body) must finish within this. */
  timeoutMs: number;
  signal?: AbortSignal | undefined;
  /** `~/.docker/config.json` by default (`DOCKER_CONFIG` honoured). */
  dockerConfigPath?: string | undefined;
}

/** One request of a session. */
export interface RegistryRequest {
  /** What is asked for, for messages: "the manifest of acme/notes:1.0". */
  what: string;
  method?: 'GET' | 'HEAD' | 'PUT' | 'POST' | 'PATCH';
  headers?: Record<string, string>;
  body?: Uint8Array | string;
  maxBytes: number;
  onProgress?: ByteProgress | undefined;
  sizeLimitHint?: string;
}

/** A parsed `WWW-Authenticate` challenge. */
export interface Challenge {
  scheme: string;
  params: Record<string, string>;
}

/** Parses the first challenge of a `WWW-Authenticate` header (`Bearer realm="...",service="..."`). */
export function parseChallenge(header: string): Challenge | undefined {
  const match = /^\s*([A-Za-z]+)\s*(.*)$/.exec(header);
  if (!match?.[1]) return undefined;
  const params: Record<string, string> = {};
  for (const param of (match[2] ?? '').matchAll(/([A-Za-z_]+)\s*=\s*(?:"([^"]*)"|([^,\s]*))/g)) {
    params[(param[1] ?? '').toLowerCase()] = param[2] ?? param[3] ?? '';
  }
  return { scheme: match[1].toLowerCase(), params };
}

/** The `code` of the first error of a registry's JSON error body (`NAME_UNKNOWN`, `MANIFEST_UNKNOWN`...). */
export function registryErrorCode(body: Uint8Array): string | undefined {
  try {
    const parsed = JSON.parse(Buffer.from(body).toString('utf8')) as { errors?: Array<{ code?: unknown }> };
    const code = parsed.errors?.[0]?.code;
    return typeof code === 'string' ? code : undefined;
  } catch {
    return undefined;
  }
}

const TOKEN_MAX_BYTES = 1024 * 1024;

/** Requests to one registry, sharing its authorization and one deadline. */
export class RegistrySession {
  readonly base: URL;
  private readonly deadline: number;
  private authorization: string | undefined;
  private credentials: RegistryCredentials | undefined;
  /** True once the docker config's credentials went to the registry or its token server. */
  private credentialsSent = false;

  constructor(
    readonly registry: string,
    private readonly options: RegistrySessionOptions,
  ) {
    this.base = registryBaseUrl(registry);
    this.deadline = Date.now() + options.timeoutMs;
  }

  /** Sends `request` to `target` (a path under the registry, or an absolute URL it gave); 404 is returned. */
  async send(target: string | URL, request: RegistryRequest): Promise<BoundedResponse> {
    const url = typeof target === 'string' ? new URL(target, this.base) : target;
    for (let attempt = 0; ; attempt++) {
      const headers = { ...request.headers };
      // The registry's token is for the registry: an upload URL on another host never sees it.
      if (this.authorization !== undefined && url.origin === this.base.origin) {
        headers.authorization = this.authorization;
      }
      const response = await fetchBounded(url, {
        ...(request.method === undefined ? {} : { method: request.method }),
        headers,
        ...(request.body === undefined ? {} : { body: request.body }),
        maxBytes: request.maxBytes,
        timeoutMs: this.remaining(),
        signal: this.options.signal,
        onProgress: request.onProgress,
        passStatuses: [401, 403, 404],
        ...(request.sizeLimitHint === undefined ? {} : { sizeLimitHint: request.sizeLimitHint }),
      });
      if (response.status === 401 && attempt === 0 && url.origin === this.base.origin) {
        await this.answerChallenge(response, request.what);
        continue;
      }
      if (response.status === 401 || response.status === 403) {
        await this.loadCredentials();
        throw this.denied(response.status, request.what);
      }
      return response;
    }
  }

  private remaining(): number {
    const left = this.deadline - Date.now();
    if (left <= 0) {
      throw new McpError(
        'source-timeout',
        `${this.registry} did not answer in full within ${this.options.timeoutMs / 1000} s; the transfer was stopped (check the network, or try again)`,
      );
    }
    return left;
  }

  private async loadCredentials(): Promise<RegistryCredentials> {
    if (!this.credentials) {
      this.credentials = await readCredentials(
        this.registry,
        this.options.dockerConfigPath ?? dockerConfigPath(),
      );
    }
    return this.credentials;
  }

  private basic(credentials: RegistryCredentials): string | undefined {
    if (credentials.username === undefined || credentials.password === undefined) return undefined;
    return `Basic ${Buffer.from(`${credentials.username}:${credentials.password}`).toString('base64')}`;
  }

  private async answerChallenge(response: BoundedResponse, what: string): Promise<void> {
    const challenge = parseChallenge(response.headers.get('www-authenticate') ?? '');
    const credentials = await this.loadCredentials();
    const basic = this.basic(credentials);
    if (challenge?.scheme === 'basic') {
      if (basic === undefined) throw this.denied(401, what);
      this.authorization = basic;
      this.credentialsSent = true;
      return;
    }
    if (challenge?.scheme !== 'bearer' || !challenge.params.realm) {
      throw new McpError(
        'source-denied',
        `${this.registry} asks for an authentication wasmactor does not speak (${response.headers.get('www-authenticate') ?? 'no WWW-Authenticate header'}); wasmactor answers Bearer token and Basic challenges`,
      );
    }
    let realm: URL;
    try {
      realm = new URL(challenge.params.realm);
    } catch {
      throw new McpError(
        'source-denied',
        `${this.registry} names a token realm that is not a URL: ${challenge.params.realm}`,
      );
    }
    if (challenge.params.service) realm.searchParams.set('service', challenge.params.service);
    if (challenge.params.scope) realm.searchParams.set('scope', challenge.params.scope);
    if (basic !== undefined) this.credentialsSent = true;
    const token = await fetchBounded(realm, {
      headers: basic === undefined ? {} : { authorization: basic },
      maxBytes: TOKEN_MAX_BYTES,
      timeoutMs: this.remaining(),
      signal: this.options.signal,
      passStatuses: [401, 403],
    });
    if (token.status === 401 || token.status === 403)
      throw this.denied(token.status, `a token for ${what} from ${realm.origin}`);
    let parsed: { token?: unknown; access_token?: unknown };
    try {
      parsed = JSON.parse(Buffer.from(token.body).toString('utf8')) as typeof parsed;
    } catch {
      throw new McpError(
        'source-denied',
        `the token server ${realm.origin} of ${this.registry} answered no JSON token`,
      );
    }
    const value = typeof parsed.token === 'string' ? parsed.token : parsed.access_token;
    if (typeof value !== 'string' || value === '') {
      throw new McpError(
        'source-denied',
        `the token server ${realm.origin} of ${this.registry} answered no token`,
      );
    }
    this.authorization = `Bearer ${value}`;
  }

  /** 401/403, saying whether credentials from the docker config were sent and where that file is. */
  private denied(status: number, what: string): McpError {
    const credentials = this.credentials;
    const refused = `${this.registry} refused ${what} (${status} ${status === 401 ? 'Unauthorized' : 'Forbidden'})`;
    if (credentials && this.credentialsSent) {
      const verdict =
        status === 403
          ? 'were sent and do not allow this: ask for access, or use an account that has it'
          : 'were sent and refused: check them (docker login, or the "auth" entry)';
      return new McpError(
        'source-denied',
        `${refused}: the credentials of "${credentials.username}" for ${this.registry} from ${credentials.configPath} ${verdict}`,
      );
    }
    const where = credentials?.configPath ?? this.options.dockerConfigPath ?? dockerConfigPath();
    const why = credentials?.problem ?? `${where} has no credentials for ${this.registry}`;
    return new McpError(
      'source-denied',
      `${refused}: no credentials were sent (${why}); log in with "docker login ${this.registry}" or add to ${where} an "auths" entry "${this.registry}": {"auth": "<base64 of user:password>"} (DOCKER_CONFIG names another directory)`,
    );
  }
}
