/** What a component source string names, and the id it stands for, decided before any read or download. */
import { describe, expect, it } from 'vitest';
import { McpError } from '../../../src/mcp/McpError.ts';
import { canonicalSource, normalizeSha256, parseSourceReference } from '../../../src/mcp/sources/index.ts';

const HEX = 'ab'.repeat(32);

function refusal(text: string): McpError {
  try {
    parseSourceReference(text, '/base');
  } catch (error) {
    if (error instanceof McpError) return error;
    throw error;
  }
  throw new Error(`${text} was accepted`);
}

describe('parseSourceReference', () => {
  it('reads paths and file:// URIs as files, the id being the file stem', () => {
    expect(parseSourceReference('rel/time-server.wasm', '/base')).toEqual({
      kind: 'file',
      path: '/base/rel/time-server.wasm',
      id: 'time-server',
    });
    expect(parseSourceReference('file:///a/b/x.wasm')).toEqual({
      kind: 'file',
      path: '/a/b/x.wasm',
      id: 'x',
    });
  });

  it('reads https:// with the URL file stem as id, and #sha256= as the pin (any case, cut from the URL)', () => {
    const ref = parseSourceReference(`https://example.com/c/notes.wasm?x=1#sha256=${HEX.toUpperCase()}`);
    expect(ref).toMatchObject({ kind: 'url', id: 'notes', sha256: HEX });
    expect(canonicalSource(ref)).toBe('https://example.com/c/notes.wasm?x=1');
    expect(parseSourceReference('https://example.com/a%20b/my%2Dtool.wasm')).toMatchObject({ id: 'my-tool' });
  });

  it('reads oci:// with the last repository segment as id (DESIGN.md: oci://r/acme/notes:1.0 -> notes)', () => {
    const ref = parseSourceReference('oci://ghcr.io/acme/tools/notes:1.0');
    expect(ref).toMatchObject({ kind: 'oci', id: 'notes' });
    expect(canonicalSource(ref)).toBe('oci://ghcr.io/acme/tools/notes:1.0');
    const pinned = parseSourceReference(`oci://127.0.0.1:5000/notes@sha256:${HEX}`);
    expect(pinned).toMatchObject({ id: 'notes', reference: { digest: `sha256:${HEX}` } });
    expect(canonicalSource(parseSourceReference('oci://r.example/a/b'))).toBe('oci://r.example/a/b:latest');
    expect(refusal('oci://r.example/Acme/x:1').message).toMatch(/not a usable OCI reference/);
  });

  it('takes plain http:// only for loopback hosts', () => {
    expect(parseSourceReference('http://127.0.0.1:8080/x.wasm')).toMatchObject({ kind: 'url', id: 'x' });
    expect(parseSourceReference('http://localhost/x.wasm')).toMatchObject({ kind: 'url' });
    expect(parseSourceReference('http://[::1]:9/x.wasm')).toMatchObject({ kind: 'url' });
    expect(refusal('http://example.com/x.wasm').message).toMatch(
      /plain http:\/\/ is only allowed for loopback hosts .*not example\.com: use https:\/\//,
    );
  });

  it('refuses with bad-path, naming the problem: empty, unknown scheme, bad fragment, credentials, no file name, bad id', () => {
    expect(refusal('  ')).toMatchObject({
      code: 'bad-path',
      message: expect.stringMatching(/path is empty; give/),
    });
    expect(refusal('ftp://h/x.wasm').message).toMatch(/unknown scheme "ftp:\/\/" in path/);
    expect(refusal('https://h/x.wasm#v2').message).toMatch(/must be #sha256=<64 hex digits>/);
    expect(refusal('https://h/x.wasm#sha256=abc').message).toMatch(/must be #sha256=<64 hex digits>/);
    expect(refusal('https://u:secret@h/x.wasm').message).toMatch(/carries credentials/);
    expect(refusal('https://u:secret@h/x.wasm').message).not.toMatch(/secret/);
    expect(refusal('https://h/dir/').message).toMatch(/does not end in a file name/);
    expect(refusal('https://h/%2Ex.wasm').message).toMatch(/cannot use "\.x" as a component id/);
    expect(refusal('/a/b/-x.wasm').message).toMatch(/cannot use "-x" as a component id/);
  });
});

describe('normalizeSha256', () => {
  it('takes HEX or sha256:HEX in any case, and nothing else', () => {
    expect(normalizeSha256(HEX.toUpperCase())).toBe(HEX);
    expect(normalizeSha256(`sha256:${HEX}`)).toBe(HEX);
    expect(normalizeSha256(HEX.slice(1))).toBeUndefined();
    expect(normalizeSha256(`sha512:${HEX}`)).toBeUndefined();
  });
});
