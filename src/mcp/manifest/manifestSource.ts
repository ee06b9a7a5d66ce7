/**
 * The `source` of a manifest entry: a path (relative to the manifest's folder), `file://`, `https://`
 * (optional `#sha256=HEX`; `http://` only on loopback) or `oci://REGISTRY/REPO[:TAG|@sha256:HEX]`.
 * Checked when the manifest is read, so a typo is refused at its line before anything is fetched.
 */
import { isAbsolute, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ManifestSource } from './types.ts';

const SHA256 = /^[0-9a-f]{64}$/;
const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]']);
/** OCI distribution grammar: lowercase path components separated by `.`, `_`, `__` or `-`. */
const REPO_PART = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const TAG = /^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$/;
const REGISTRY =
  /^(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*|\[[0-9A-Fa-f:.]+\])(?::[0-9]{1,5})?$/;

/** A checked source, or the sentence that says what is wrong with it. */
export type SourceCheck = { ok: true; source: ManifestSource } | { ok: false; problem: string };

const refuse = (problem: string): SourceCheck => ({ ok: false, problem });

function httpsSource(text: string): SourceCheck {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return refuse('not a valid URL');
  }
  if (url.protocol === 'http:' && !LOOPBACK.has(url.hostname)) {
    return refuse('plain http:// is only for loopback hosts (127.0.0.1, localhost, [::1]); use https://');
  }
  if (url.username !== '' || url.password !== '') {
    return refuse('a URL must not carry credentials (user:password@); they would be stored in plain text');
  }
  let pin: string | undefined;
  if (url.hash !== '') {
    const match = /^#sha256=([0-9a-fA-F]{64})$/.exec(url.hash);
    if (!match) return refuse('the only fragment understood is #sha256= followed by 64 hex digits');
    pin = (match[1] as string).toLowerCase();
  }
  const reference = pin === undefined ? url.href : `${url.href.slice(0, -url.hash.length)}#sha256=${pin}`;
  return {
    ok: true,
    source: { kind: 'https', reference, url: reference.replace(/#.*$/, ''), ...(pin ? { pin } : {}) },
  };
}

function ociSource(text: string): SourceCheck {
  const rest = text.slice('oci://'.length);
  const slash = rest.indexOf('/');
  if (slash <= 0) return refuse('expected oci://REGISTRY/REPOSITORY[:TAG|@sha256:DIGEST]');
  const registry = rest.slice(0, slash);
  if (!REGISTRY.test(registry)) return refuse('the registry is not a host name or host:port');
  let path = rest.slice(slash + 1);
  let pin: string | undefined;
  const at = path.indexOf('@');
  if (at >= 0) {
    const digest = path.slice(at + 1);
    if (!digest.startsWith('sha256:') || !SHA256.test(digest.slice(7))) {
      return refuse('a digest is written @sha256: followed by 64 lowercase hex digits');
    }
    pin = digest.slice(7);
    path = path.slice(0, at);
  }
  const colon = path.lastIndexOf(':');
  if (colon >= 0) {
    if (pin !== undefined) return refuse('give a tag or a digest, not both');
    if (!TAG.test(path.slice(colon + 1))) return refuse('the tag has characters a tag cannot have');
    path = path.slice(0, colon);
  }
  if (path === '' || !path.split('/').every((part) => REPO_PART.test(part))) {
    return refuse('the repository must be lowercase letters, digits and . _ - separated by /');
  }
  return { ok: true, source: { kind: 'oci', reference: text, ...(pin ? { pin } : {}) } };
}

/** Checks a `source` value; a relative path is resolved against `baseDir` (the manifest's folder). */
export function checkSource(text: string, baseDir: string): SourceCheck {
  const trimmed = text.trim();
  if (trimmed === '') return refuse('empty (give a path, file://, https:// or oci:// reference)');
  const scheme = /^([a-zA-Z][a-zA-Z0-9+.-]*):\/\//.exec(trimmed)?.[1]?.toLowerCase();
  if (scheme === undefined) {
    const path = isAbsolute(trimmed) ? resolve(trimmed) : resolve(baseDir, trimmed);
    return { ok: true, source: { kind: 'file', reference: path, path } };
  }
  if (scheme === 'file') {
    try {
      const path = fileURLToPath(trimmed);
      return { ok: true, source: { kind: 'file', reference: path, path } };
    } catch (error) {
      return refuse(`not a valid file:// URI (${(error as Error).message})`);
    }
  }
  if (scheme === 'https' || scheme === 'http') return httpsSource(trimmed);
  if (scheme === 'oci') return ociSource(trimmed);
  return refuse(`unknown scheme ${scheme}:// (expected a path, file://, https:// or oci://)`);
}

/** True for 64 hex digits (with or without a `sha256:` prefix); see `normalizeSha256`. */
export function normalizeSha256(text: string): string | undefined {
  const hex = text
    .trim()
    .replace(/^sha256:/, '')
    .toLowerCase();
  return SHA256.test(hex) ? hex : undefined;
}
