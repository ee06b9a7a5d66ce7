/** `oci://` references, registry addresses, challenges and docker config entries, without a registry. */
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { McpError } from '../../src/mcp/McpError.ts';
import { dockerConfigPath, readCredentials } from '../../src/mcp/sources/oci/dockerConfig.ts';
import { nextPage, parseRegistryUrl } from '../../src/mcp/sources/oci/list.ts';
import { parseChallenge } from '../../src/mcp/sources/oci/RegistrySession.ts';
import {
  formatOciReference,
  parseOciReference,
  pinnedReference,
  registryBaseUrl,
} from '../../src/mcp/sources/oci/reference.ts';

const HEX = 'a'.repeat(64);

function refusal(run: () => unknown): McpError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(McpError);
    return error as McpError;
  }
  throw new Error('expected a refusal');
}

describe('parseOciReference', () => {
  it('reads a tag, a digest, both, and defaults to latest', () => {
    expect(parseOciReference('oci://ghcr.io/acme/tools/notes:1.0')).toEqual({
      registry: 'ghcr.io',
      repository: 'acme/tools/notes',
      tag: '1.0',
    });
    expect(parseOciReference(`oci://127.0.0.1:5000/notes@sha256:${HEX}`)).toEqual({
      registry: '127.0.0.1:5000',
      repository: 'notes',
      digest: `sha256:${HEX}`,
    });
    expect(parseOciReference(`oci://localhost:5000/a/b:v2@sha256:${HEX}`)).toMatchObject({
      tag: 'v2',
      digest: `sha256:${HEX}`,
    });
    expect(parseOciReference('oci://[::1]:5000/a')).toEqual({
      registry: '[::1]:5000',
      repository: 'a',
      tag: 'latest',
    });
  });

  it('prints what it parsed and pins a digest', () => {
    const text = 'oci://ghcr.io/acme/notes:1.0';
    expect(formatOciReference(parseOciReference(text))).toBe(text);
    expect(pinnedReference(parseOciReference(text), `sha256:${HEX}`)).toBe(
      `oci://ghcr.io/acme/notes@sha256:${HEX}`,
    );
  });

  it.each([
    ['https://ghcr.io/acme/notes', 'does not start with oci://'],
    ['oci://ghcr.io', 'names no repository'],
    ['oci://ghcr.io/', 'names no repository'],
    ['oci://ghcr.io/:1.0', 'names no repository'],
    ['oci://bad_host!/a', 'is not a registry host'],
    ['oci://ghcr.io/Acme/notes', 'repository names are lowercase'],
    ['oci://ghcr.io/acme//notes', 'empty path segment'],
    ['oci://ghcr.io/acme/notes:-x', 'is not a tag'],
    ['oci://ghcr.io/acme/notes@sha512:abc', 'is not a digest'],
    [`oci://ghcr.io/acme/notes@sha256:${'A'.repeat(64)}`, 'is not a digest'],
  ])('refuses %s, naming what is wrong', (text, why) => {
    const error = refusal(() => parseOciReference(text));
    expect(error.code).toBe('bad-path');
    expect(error.message).toContain(why);
    expect(error.message).toContain('oci://REGISTRY/REPOSITORY[:TAG]');
  });

  it('talks https to registries and plain http to loopback ones only', () => {
    expect(registryBaseUrl('ghcr.io').href).toBe('https://ghcr.io/');
    expect(registryBaseUrl('10.0.0.5:5000').href).toBe('https://10.0.0.5:5000/');
    expect(registryBaseUrl('127.0.0.1:5000').href).toBe('http://127.0.0.1:5000/');
    expect(registryBaseUrl('localhost:5000').href).toBe('http://localhost:5000/');
    expect(registryBaseUrl('[::1]:5000').href).toBe('http://[::1]:5000/');
    expect(registryBaseUrl('docker.io').href).toBe('https://registry-1.docker.io/');
  });
});

describe('parseRegistryUrl', () => {
  it('accepts the forms of --registry', () => {
    expect(parseRegistryUrl('oci://ghcr.io')).toBe('ghcr.io');
    expect(parseRegistryUrl('https://registry.example.com:8443')).toBe('registry.example.com:8443');
    expect(parseRegistryUrl('http://127.0.0.1:5000')).toBe('127.0.0.1:5000');
    expect(parseRegistryUrl('localhost:5000')).toBe('localhost:5000');
  });

  it('refuses plain http to a remote registry, a path, and other schemes', () => {
    expect(refusal(() => parseRegistryUrl('http://registry.example.com')).message).toContain(
      'loopback registries only',
    );
    expect(refusal(() => parseRegistryUrl('https://ghcr.io/acme')).message).toContain('no path');
    expect(refusal(() => parseRegistryUrl('ftp://ghcr.io')).message).toContain('not a registry scheme');
  });
});

describe('nextPage', () => {
  const base = new URL('http://127.0.0.1:5000/');
  it('follows a Link on the registry', () => {
    const next = nextPage('</v2/_catalog?last=b&n=2>; rel="next"', new URL('/v2/_catalog?n=2', base), base);
    expect(next?.href).toBe('http://127.0.0.1:5000/v2/_catalog?last=b&n=2');
  });
  it('never follows a Link to another origin', () => {
    expect(nextPage('<http://evil.example/v2/_catalog>; rel="next"', base, base)).toBeUndefined();
    expect(nextPage('<http://127.0.0.1:5001/v2/_catalog>; rel="next"', base, base)).toBeUndefined();
    expect(nextPage(null, base, base)).toBeUndefined();
  });
});

describe('parseChallenge', () => {
  it('reads a Bearer and a Basic challenge', () => {
    expect(
      parseChallenge(
        'Bearer realm="https://auth.example/token",service="registry.example",scope="repository:a/b:pull"',
      ),
    ).toEqual({
      scheme: 'bearer',
      params: {
        realm: 'https://auth.example/token',
        service: 'registry.example',
        scope: 'repository:a/b:pull',
      },
    });
    expect(parseChallenge('Basic realm="x"')).toEqual({ scheme: 'basic', params: { realm: 'x' } });
  });
});

describe('the docker config', () => {
  it('is found through DOCKER_CONFIG, else in ~/.docker', () => {
    expect(dockerConfigPath({ DOCKER_CONFIG: '/etc/ci-docker' })).toBe('/etc/ci-docker/config.json');
    expect(dockerConfigPath({})).toMatch(/\/\.docker\/config\.json$/);
  });

  it('gives the credentials of the registry, under any spelling of its key', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'wasmactor-dockercfg-'));
    const path = join(dir, 'config.json');
    const auth = (s: string) => Buffer.from(s).toString('base64');
    await writeFile(
      path,
      JSON.stringify({
        auths: {
          'https://ghcr.io': { auth: auth('me:pw:with:colons') },
          'https://index.docker.io/v1/': { auth: auth('hub:hubpw') },
          'plain.example': { username: 'u', password: 'p' },
          'empty.example': {},
        },
        credHelpers: { 'helped.example': 'secretservice' },
      }),
    );
    expect(await readCredentials('ghcr.io', path)).toEqual({
      configPath: path,
      username: 'me',
      password: 'pw:with:colons',
    });
    expect(await readCredentials('docker.io', path)).toMatchObject({ username: 'hub', password: 'hubpw' });
    expect(await readCredentials('plain.example', path)).toMatchObject({ username: 'u', password: 'p' });
    expect((await readCredentials('helped.example', path)).problem).toContain('credential helper');
    expect((await readCredentials('empty.example', path)).problem).toContain('no usable "auth"');
    expect(await readCredentials('other.example', path)).toEqual({ configPath: path });
    await writeFile(path, '{not json');
    expect((await readCredentials('ghcr.io', path)).problem).toContain('is not valid JSON');
    expect(await readCredentials('ghcr.io', join(dir, 'missing.json'))).toEqual({
      configPath: join(dir, 'missing.json'),
    });
  });
});
