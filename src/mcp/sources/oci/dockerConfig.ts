/**
 * Registry credentials from the user's docker config (`~/.docker/config.json`, or `$DOCKER_CONFIG/config.json`):
 * the `auths` entry of the registry host with `auth` (base64 `user:password`) or `username`/`password`.
 * Credential helpers (`credsStore`, `credHelpers`) are not run; a denial says so when one is configured.
 */
import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';

/** What the docker config says about one registry. */
export interface RegistryCredentials {
  /** The file that was read (or looked for). */
  configPath: string;
  username?: string;
  password?: string;
  /** Why no credentials came from the file although it exists (unreadable, only a helper...). */
  problem?: string;
}

/** `$DOCKER_CONFIG/config.json`, else `~/.docker/config.json`. */
export function dockerConfigPath(env: Record<string, string | undefined> = process.env): string {
  const dir = env.DOCKER_CONFIG;
  return join(dir && dir !== '' ? dir : join(homedir(), '.docker'), 'config.json');
}

const HUB_NAMES = new Set(['docker.io', 'index.docker.io', 'registry-1.docker.io']);

/** `https://host:port/v1/` and `host:port` name the same registry; Docker Hub has several names. */
function normalizeKey(key: string): string {
  const host = key
    .replace(/^[a-z]+:\/\//i, '')
    .replace(/\/.*$/, '')
    .toLowerCase();
  return HUB_NAMES.has(host) ? 'docker.io' : host;
}

interface AuthEntry {
  auth?: unknown;
  username?: unknown;
  password?: unknown;
}

function fromEntry(entry: AuthEntry): { username: string; password: string } | undefined {
  if (typeof entry.auth === 'string' && entry.auth !== '') {
    const decoded = Buffer.from(entry.auth, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon > 0) return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
    return undefined;
  }
  if (typeof entry.username === 'string' && typeof entry.password === 'string') {
    return { username: entry.username, password: entry.password };
  }
  return undefined;
}

/** Reads the credentials for `registry` (`host[:port]`) from the docker config at `configPath`. */
export async function readCredentials(registry: string, configPath: string): Promise<RegistryCredentials> {
  let text: string;
  try {
    text = await readFile(configPath, 'utf8');
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if (code === 'ENOENT') return { configPath };
    return { configPath, problem: `${configPath} cannot be read (${String(code ?? error)})` };
  }
  let config: {
    auths?: Record<string, AuthEntry>;
    credsStore?: unknown;
    credHelpers?: Record<string, unknown>;
  };
  try {
    config = JSON.parse(text) as typeof config;
  } catch {
    return { configPath, problem: `${configPath} is not valid JSON` };
  }
  const wanted = normalizeKey(registry);
  const entry = Object.entries(config.auths ?? {}).find(([key]) => normalizeKey(key) === wanted)?.[1];
  const found = entry && typeof entry === 'object' ? fromEntry(entry) : undefined;
  if (found) return { configPath, ...found };
  const helper =
    typeof config.credsStore === 'string' ||
    Object.keys(config.credHelpers ?? {}).some((key) => normalizeKey(key) === wanted);
  if (helper) {
    return {
      configPath,
      problem: `${configPath} names a credential helper for ${registry}, which wasmactor does not run; add an "auths" entry with "auth" (base64 of user:password) for ${registry}`,
    };
  }
  if (entry)
    return { configPath, problem: `the "auths" entry for ${registry} in ${configPath} has no usable "auth"` };
  return { configPath };
}
