/**
 * Push and pull against a real registry (Debian's docker-registry on 127.0.0.1): by tag, by digest,
 * through an index; digests verified (a tampered blob or manifest in the registry's storage is refused);
 * the cache consulted before any blob download; what is not a component artifact refused by media type;
 * 404s that say whether the repository or the tag is missing; and listing for search.
 */
import { createHash } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  listRegistry,
  parseOciReference,
  pullComponent,
  pushComponent,
} from '../../src/mcp/sources/oci/index.ts';
import { fixturePath } from '../helpers/fixtures.ts';
import { mcpFailure } from '../helpers/mcpFailure.ts';
import { startRegistry, type TestRegistry } from './registry.ts';

let registry: TestRegistry;
let counter: Uint8Array;
const limits = { maxBytes: 64 * 1024 * 1024, timeoutMs: 20_000 };

const sha256 = (bytes: Uint8Array) => `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
const ref = (path: string) => parseOciReference(`oci://${registry.host}/${path}`);

/** Uploads a blob with raw requests (what another tool might have pushed). */
async function putBlob(repository: string, bytes: Uint8Array): Promise<string> {
  const digest = sha256(bytes);
  const started = await fetch(`${registry.url}/v2/${repository}/blobs/uploads/`, { method: 'POST' });
  const location = new URL(started.headers.get('location') ?? '', registry.url);
  location.searchParams.set('digest', digest);
  const done = await fetch(location, { method: 'PUT', body: Buffer.from(bytes) });
  expect(done.status).toBe(201);
  return digest;
}

async function putManifest(
  repository: string,
  tag: string,
  manifest: object,
  mediaType: string,
): Promise<string> {
  const body = JSON.stringify(manifest);
  const answer = await fetch(`${registry.url}/v2/${repository}/manifests/${tag}`, {
    method: 'PUT',
    headers: { 'content-type': mediaType },
    body,
  });
  expect(answer.status, await answer.text()).toBe(201);
  return sha256(Buffer.from(body));
}

/** A manifest of one layer of `layerType` over `bytes`, with a config of `configType`. */
async function rawArtifact(repository: string, bytes: Uint8Array, layerType: string, configType: string) {
  const config = Buffer.from('{}');
  const configDigest = await putBlob(repository, config);
  const layerDigest = await putBlob(repository, bytes);
  return putManifest(
    repository,
    'v1',
    {
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: { mediaType: configType, digest: configDigest, size: config.byteLength },
      layers: [{ mediaType: layerType, digest: layerDigest, size: bytes.byteLength }],
    },
    'application/vnd.oci.image.manifest.v1+json',
  );
}

beforeAll(async () => {
  registry = await startRegistry();
  counter = await readFile(fixturePath('counter'));
});

afterAll(async () => {
  await registry?.stop();
});

describe('push and pull', () => {
  it('pulls by tag what was pushed, with its annotations and a pinned reference', async () => {
    const pushed = await pushComponent(ref('acme/counter:1.0'), counter, {
      timeoutMs: 20_000,
      annotations: {
        'org.opencontainers.image.description': 'counts calls',
        'org.opencontainers.image.version': '1.0.0',
      },
    });
    expect(pushed.layerDigest).toBe(sha256(counter));
    expect(pushed.pinned).toBe(`oci://${registry.host}/acme/counter@${pushed.manifestDigest}`);
    const progress: number[] = [];
    const pulled = await pullComponent(ref('acme/counter:1.0'), {
      ...limits,
      onProgress: (n) => progress.push(n),
    });
    expect(Buffer.from(pulled.bytes).equals(Buffer.from(counter))).toBe(true);
    expect(pulled.manifestDigest).toBe(pushed.manifestDigest);
    expect(pulled.pinned).toBe(pushed.pinned);
    expect(pulled.layerDigest).toBe(sha256(counter));
    expect(pulled.annotations).toMatchObject({
      'org.opencontainers.image.title': 'counter',
      'org.opencontainers.image.description': 'counts calls',
      'org.opencontainers.image.version': '1.0.0',
    });
    expect(progress.at(-1)).toBe(counter.byteLength);
  });

  it('writes the wasm artifact layout of wkg and wassette', async () => {
    const pushed = await pushComponent(ref('acme/layout:1'), counter, { timeoutMs: 20_000 });
    const answer = await fetch(`${registry.url}/v2/acme/layout/manifests/1`, {
      headers: { accept: 'application/vnd.oci.image.manifest.v1+json' },
    });
    const manifest = (await answer.json()) as {
      mediaType: string;
      config: { mediaType: string; digest: string };
      layers: unknown[];
    };
    expect(answer.headers.get('docker-content-digest')).toBe(pushed.manifestDigest);
    expect(manifest.mediaType).toBe('application/vnd.oci.image.manifest.v1+json');
    expect(manifest.config.mediaType).toBe('application/vnd.wasm.config.v0+json');
    expect(manifest.layers).toEqual([
      { mediaType: 'application/wasm', digest: sha256(counter), size: counter.byteLength },
    ]);
    const config = await (
      await fetch(`${registry.url}/v2/acme/layout/blobs/${manifest.config.digest}`)
    ).json();
    expect(config).toMatchObject({ architecture: 'wasm', os: 'wasip2', layerDigests: [sha256(counter)] });
  });

  it('pulls by digest, and refuses a digest the registry does not have', async () => {
    const pushed = await pushComponent(ref('acme/pinned:2.0'), counter, { timeoutMs: 20_000 });
    const pulled = await pullComponent(parseOciReference(pushed.pinned), limits);
    expect(pulled.manifestDigest).toBe(pushed.manifestDigest);
    expect(Buffer.from(pulled.bytes).equals(Buffer.from(counter))).toBe(true);
    const missing = await mcpFailure(pullComponent(ref(`acme/pinned@sha256:${'0'.repeat(64)}`), limits));
    expect(missing.code).toBe('source-not-found');
    expect(missing.message).toContain(`the manifest sha256:${'0'.repeat(64)} does not exist in`);
  });

  it('says whether the repository or the tag is missing', async () => {
    await pushComponent(ref('acme/tagged:1.0'), counter, { timeoutMs: 20_000 });
    const repo = await mcpFailure(pullComponent(ref('acme/nothing-here:1.0'), limits));
    expect(repo.code).toBe('source-not-found');
    expect(repo.message).toContain('the repository acme/nothing-here does not exist on');
    const tag = await mcpFailure(pullComponent(ref('acme/tagged:9.9'), limits));
    expect(tag.code).toBe('source-not-found');
    expect(tag.message).toContain('the tag 9.9 does not exist in');
    expect(tag.message).toContain('its tags: 1.0');
  });

  it('pulls through an image index with one wasm manifest, pinning the index', async () => {
    const pushed = await pushComponent(ref('acme/indexed:inner'), counter, { timeoutMs: 20_000 });
    const manifestBytes = await (
      await fetch(`${registry.url}/v2/acme/indexed/manifests/inner`, {
        headers: { accept: 'application/vnd.oci.image.manifest.v1+json' },
      })
    ).arrayBuffer();
    const child = {
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      digest: pushed.manifestDigest,
      size: manifestBytes.byteLength,
    };
    const index = {
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.index.v1+json',
      manifests: [{ ...child, platform: { architecture: 'wasm', os: 'wasip2' } }],
    };
    const indexDigest = await putManifest(
      'acme/indexed',
      'multi',
      index,
      'application/vnd.oci.image.index.v1+json',
    );
    const pulled = await pullComponent(ref('acme/indexed:multi'), limits);
    expect(Buffer.from(pulled.bytes).equals(Buffer.from(counter))).toBe(true);
    expect(pulled.manifestDigest).toBe(indexDigest);
    const twoOther = {
      ...index,
      manifests: [
        { ...child, platform: { architecture: 'amd64', os: 'linux' } },
        { ...child, platform: { architecture: 'arm64', os: 'linux' } },
      ],
    };
    await putManifest('acme/indexed', 'images', twoOther, 'application/vnd.oci.image.index.v1+json');
    const refused = await mcpFailure(pullComponent(ref('acme/indexed:images'), limits));
    expect(refused.code).toBe('source-invalid');
    expect(refused.message).toContain('an index of 2 manifests, 0 of them for the wasm platform');
  });
});

describe('digests', () => {
  it('refuses a blob altered in the registry, and nothing is returned', async () => {
    const trap = await readFile(fixturePath('trap'));
    await pushComponent(ref('tamper/blob:1'), trap, { timeoutMs: 20_000 });
    const path = registry.blobPath(sha256(trap));
    const altered = Buffer.from(trap);
    altered[altered.length - 1] = (altered[altered.length - 1] ?? 0) ^ 0xff;
    await writeFile(path, altered);
    const error = await mcpFailure(pullComponent(ref('tamper/blob:1'), limits));
    expect(error.code).toBe('digest-mismatch');
    expect(error.message).toContain(`not ${sha256(trap)} as its manifest says`);
    // The cache is asked before any download: with the right bytes there, the altered blob is never read.
    const asked: string[] = [];
    const pulled = await pullComponent(ref('tamper/blob:1'), {
      ...limits,
      cached: async (digest) => {
        asked.push(digest);
        return trap;
      },
    });
    expect(asked).toEqual([sha256(trap)]);
    expect(Buffer.from(pulled.bytes).equals(Buffer.from(trap))).toBe(true);
    // A cache entry that lost its digest is not trusted: the download (and its verification) happens.
    const wrong = await mcpFailure(
      pullComponent(ref('tamper/blob:1'), { ...limits, cached: async () => altered }),
    );
    expect(wrong.code).toBe('digest-mismatch');
  });

  it('refuses a manifest altered in the registry', async () => {
    const loop = await readFile(fixturePath('loop'));
    const pushed = await pushComponent(ref('tamper/manifest:1'), loop, { timeoutMs: 20_000 });
    const path = registry.blobPath(pushed.manifestDigest);
    const text = (await readFile(path, 'utf8')).replace(
      '"org.opencontainers.image.title":"manifest"',
      '"org.opencontainers.image.title":"evil!!!!"',
    );
    await writeFile(path, text);
    const byTag = await mcpFailure(pullComponent(ref('tamper/manifest:1'), limits));
    expect(byTag.code).toBe('digest-mismatch');
    const byDigest = await mcpFailure(pullComponent(parseOciReference(pushed.pinned), limits));
    expect(byDigest.code).toBe('digest-mismatch');
    expect(byDigest.message).toContain(`not ${pushed.manifestDigest}`);
  });
});

describe('what is not a component artifact', () => {
  it('refuses a layer of another media type, naming it', async () => {
    await rawArtifact(
      'odd/tarball',
      counter,
      'application/vnd.oci.image.layer.v1.tar+gzip',
      'application/vnd.wasm.config.v0+json',
    );
    const error = await mcpFailure(pullComponent(ref('odd/tarball:v1'), limits));
    expect(error.code).toBe('source-invalid');
    expect(error.message).toContain('has the media type application/vnd.oci.image.layer.v1.tar+gzip');
    expect(error.message).toContain('application/wasm');
  });

  it('refuses a container image', async () => {
    await rawArtifact(
      'odd/image',
      counter,
      'application/vnd.oci.image.layer.v1.tar+gzip',
      'application/vnd.oci.image.config.v1+json',
    );
    const error = await mcpFailure(pullComponent(ref('odd/image:v1'), limits));
    expect(error.message).toContain('is a container image');
  });

  it('accepts the older wasm-to-oci layer type', async () => {
    await rawArtifact(
      'odd/legacy',
      counter,
      'application/vnd.wasm.content.layer.v1+wasm',
      'application/vnd.wasm.config.v1+json',
    );
    const pulled = await pullComponent(ref('odd/legacy:v1'), limits);
    expect(pulled.layerDigest).toBe(sha256(counter));
  });

  it('refuses a core module, on push and on pull', async () => {
    const core = Uint8Array.from([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00]);
    const pushed = await mcpFailure(pushComponent(ref('odd/core:v1'), core, { timeoutMs: 20_000 }));
    expect(pushed.message).toContain('a core WebAssembly module, not a component');
    await rawArtifact('odd/core', core, 'application/wasm', 'application/vnd.wasm.config.v0+json');
    const pulled = await mcpFailure(pullComponent(ref('odd/core:v1'), limits));
    expect(pulled.code).toBe('source-invalid');
    expect(pulled.message).toContain('a core WebAssembly module, not a component');
  });

  it('refuses a component larger than the limit before downloading it', async () => {
    await pushComponent(ref('acme/big:1'), counter, { timeoutMs: 20_000 });
    const error = await mcpFailure(pullComponent(ref('acme/big:1'), { ...limits, maxBytes: 1000 }));
    expect(error.code).toBe('source-too-large');
    expect(error.message).toContain(`is ${counter.byteLength} bytes, more than the limit of 1000 bytes`);
    expect(error.message).toContain('--max-component-size');
  });
});

describe('listRegistry', () => {
  it('lists component repositories with tags and annotations, page by page, without other artifacts', async () => {
    await pushComponent(ref('list/alpha:1.0'), counter, {
      timeoutMs: 20_000,
      annotations: { 'org.opencontainers.image.description': 'first' },
    });
    await pushComponent(ref('list/alpha:1.10'), counter, {
      timeoutMs: 20_000,
      annotations: { 'org.opencontainers.image.description': 'newest' },
    });
    await pushComponent(ref('list/alpha:1.9'), counter, { timeoutMs: 20_000 });
    const listing = await listRegistry(`http://${registry.host}`, { timeoutMs: 20_000, pageSize: 2 });
    const names = listing.components.map((c) => c.repository);
    expect(names).toContain('list/alpha');
    expect(names).toContain('acme/counter');
    // Not component artifacts: a tarball layer, a container image; and a manifest altered in storage.
    // (A core module in the wasm layout is listed: listing reads manifests, never blobs.)
    for (const other of ['odd/tarball', 'odd/image', 'tamper/manifest']) expect(names).not.toContain(other);
    const alpha = listing.components.find((c) => c.repository === 'list/alpha');
    expect(alpha?.tags).toEqual(['1.0', '1.9', '1.10']);
    expect(alpha?.source).toBe(`oci://${registry.host}/list/alpha:1.10`);
    expect(alpha?.annotations['org.opencontainers.image.description']).toBe('newest');
    expect(listing.truncated).toBe(false);
    const few = await listRegistry(registry.host, { timeoutMs: 20_000, pageSize: 2, maxRepositories: 3 });
    expect(few.truncated).toBe(true);
  });
});
