/**
 * Reading a manifest: every problem at its line with its field path, every one listed at once; inline
 * permissions read by the policy parser at their lines; a policy file relative to the manifest.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { McpError } from '../../src/mcp/McpError.ts';
import { parseManifest, readManifest } from '../../src/mcp/manifest/index.ts';

const FILE = '/srv/app/manifest.yaml';
const HEX = 'ab'.repeat(32);

/** The problem lines of a refused manifest (after its first line), or a failure if it was accepted. */
async function problems(text: string, path = FILE): Promise<string[]> {
  try {
    await parseManifest(text, path);
  } catch (error) {
    expect(error).toBeInstanceOf(McpError);
    expect((error as McpError).code).toBe('bad-manifest');
    const [head, ...lines] = (error as McpError).message.split('\n');
    expect(head).toBe(`invalid manifest ${path}:`);
    return lines;
  }
  throw new Error('the manifest was accepted');
}

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'wasmactor-manifest-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('a valid manifest', () => {
  it('reads every form of source, resolving paths against the manifest folder', async () => {
    const manifest = await parseManifest(
      [
        'components:',
        '  - id: notes',
        '    source: build/notes.wasm',
        '    stateful: true',
        '  - id: abs',
        '    source: file:///opt/x.wasm',
        '  - id: web',
        `    source: https://example.com/c/web.wasm#sha256=${HEX.toUpperCase()}`,
        '  - id: local-web',
        '    source: http://127.0.0.1:8080/x.wasm',
        '  - id: tagged',
        '    source: oci://ghcr.io/acme/tools/fetch:1.2.0',
        '  - id: pinned',
        `    source: oci://localhost:5000/acme/fetch@sha256:${HEX}`,
        `    sha256: sha256:${HEX}`,
      ].join('\n'),
      FILE,
    );
    expect(manifest.components.map((c) => [c.id, c.source.kind, c.sourceText, c.stateful, c.sha256])).toEqual(
      [
        ['notes', 'file', '/srv/app/build/notes.wasm', true, undefined],
        ['abs', 'file', '/opt/x.wasm', false, undefined],
        ['web', 'url', 'https://example.com/c/web.wasm', false, HEX],
        ['local-web', 'url', 'http://127.0.0.1:8080/x.wasm', false, undefined],
        ['tagged', 'oci', 'oci://ghcr.io/acme/tools/fetch:1.2.0', false, undefined],
        ['pinned', 'oci', `oci://localhost:5000/acme/fetch@sha256:${HEX}`, false, HEX],
      ],
    );
    expect(manifest.components[0]?.at).toEqual({ field: 'components[0]', line: 2 });
    expect(manifest.components[0]?.policy).toEqual({ version: '1.0', permissions: {} });
  });

  it('reads inline permissions with the policy rules, and a policy file relative to the manifest', async () => {
    await writeFile(
      join(dir, 'p.policy.yaml'),
      'version: "1.0"\npermissions:\n  network:\n    allow:\n      - host: api.example.com\n',
    );
    const path = join(dir, 'manifest.yaml');
    await writeFile(
      path,
      [
        'components:',
        '  - {id: a, source: a.wasm, permissions: {environment: {allow: [{key: API_KEY}]}}}',
        '  - id: b',
        '    source: b.wasm',
        '    policy: p.policy.yaml',
        '  - id: c',
        '    source: c.wasm',
        '    permissions:',
      ].join('\n'),
    );
    const manifest = await readManifest(path);
    expect(manifest.components.map((c) => [c.policy, c.policyFrom])).toEqual([
      [{ version: '1.0', permissions: { environment: { allow: [{ key: 'API_KEY' }] } } }, 'inline'],
      [
        { version: '1.0', permissions: { network: { allow: [{ host: 'api.example.com' }] } } },
        join(dir, 'p.policy.yaml'),
      ],
      [{ version: '1.0', permissions: {} }, 'inline'],
    ]);
  });

  it('accepts an empty list of components', async () => {
    expect((await parseManifest('components: []\n', FILE)).components).toEqual([]);
  });
});

describe('a bad manifest is refused with FILE:LINE: field: why for every problem', () => {
  it('names unknown keys, missing fields, invalid ids and duplicate ids', async () => {
    expect(
      await problems(
        [
          'components:',
          '  - id: notes', // 2
          '    sorce: build/notes.wasm', // 3
          '  - id: ../etc', // 4
          '    source: x.wasm',
          '  - source: y.wasm', // 6
          '  - id: notes', // 7
          '    source: z.wasm',
          'extra: 1', // 9
        ].join('\n'),
      ),
    ).toEqual([
      `${FILE}:2: components[0]: missing source (a path, file://, https:// or oci://)`,
      `${FILE}:3: components[0].sorce: unknown key (expected id, source, stateful, sha256, permissions, policy)`,
      `${FILE}:4: components[1].id: "../etc" is not a valid component id (1 to 128 letters, digits, ".", "_" and "-", not starting with "." or "-")`,
      `${FILE}:6: components[2]: missing id (the name its tools are served under)`,
      `${FILE}:7: components[3].id: duplicate id "notes" (components[0], line 2, has it)`,
      `${FILE}:9: extra: unknown key (expected components)`,
    ]);
  });

  it('names bad source forms, stateful values and digests at their lines', async () => {
    expect(
      await problems(
        [
          'components:',
          '  - id: a',
          '    source: ftp://host/a.wasm', // 3
          '  - id: b',
          '    source: http://example.com/b.wasm', // 5
          '  - id: c',
          '    source: oci://ghcr.io/Acme/c:1', // 7
          '  - id: d',
          '    source: https://example.com/dir/', // 9
          '  - id: e',
          '    source: https://example.com/e.wasm#sha256=00', // 11
          '  - id: f',
          '    source: f.wasm',
          '    stateful: yes', // 14
          '  - id: g',
          '    source: g.wasm',
          '    stateful: "true"', // 17
          '    sha256: 1234', // 18
          '  - id: h',
          `    source: https://example.com/h.wasm#sha256=${HEX}`,
          `    sha256: ${'cd'.repeat(32)}`, // 21
          '  - id: i',
          '    source: [a, b]', // 23
        ].join('\n'),
      ),
    ).toEqual([
      `${FILE}:3: components[0].source: unknown scheme "ftp://" in source; give a .wasm file path, file://, https://…/name.wasm or oci://REGISTRY/REPO:TAG`,
      `${FILE}:5: components[1].source: plain http:// is only allowed for loopback hosts (127.0.0.1, localhost, [::1]), not example.com: use https://`,
      `${FILE}:7: components[2].source: oci://ghcr.io/Acme/c:1 is not a usable OCI reference: the repository segment "Acme" may hold only lowercase letters, digits and single . _ __ - separators (repository names are lowercase) (the form is oci://REGISTRY/REPOSITORY[:TAG] or oci://REGISTRY/REPOSITORY@sha256:HEX)`,
      `${FILE}:9: components[3].source: cannot derive a component id from https://example.com/dir/: its path does not end in a file name (…/name.wasm)`,
      `${FILE}:11: components[4].source: the fragment of source must be #sha256=<64 hex digits> (the component's digest), not "#sha256=00"`,
      `${FILE}:14: components[5].stateful: expected true or false`,
      `${FILE}:17: components[6].stateful: expected true or false`,
      `${FILE}:18: components[6].sha256: expected 64 hex digits (the sha256 of the .wasm)`,
      `${FILE}:21: components[7].sha256: differs from the #sha256= pin of the source`,
      `${FILE}:23: components[8].source: expected a string`,
    ]);
  });

  it("puts the policy parser's own problems of inline permissions at their manifest lines", async () => {
    expect(
      await problems(
        [
          'components:',
          '  - id: a',
          '    source: a.wasm',
          '    permissions:',
          '      environment:',
          '        allow:',
          '          - key: 1BAD', // 7
          '      network:',
          '        allow:',
          '          - {host: "http://"}', // 10
          '      deny: {}', // 11
          '      storage:',
          '        allow:',
          '          - uri: fs:///', // 14
          '            access: [read, exec]', // 15
        ].join('\n'),
      ),
    ).toEqual([
      `${FILE}:7: components[0].permissions.environment.allow[0].key: the value is not an environment variable name (letters, digits and "_", not starting with a digit)`,
      expect.stringMatching(
        new RegExp(
          `^${FILE}:10: components\\[0\\]\\.permissions\\.network\\.allow\\[0\\]\\.host: the value `,
        ),
      ),
      `${FILE}:11: components[0].permissions.deny: deny lists are not supported: everything that is not allowed is denied already`,
      expect.stringMatching(
        new RegExp(`^${FILE}:14: components\\[0\\]\\.permissions\\.storage\\.allow\\[0\\]\\.uri: the value `),
      ),
      `${FILE}:15: components[0].permissions.storage.allow[0].access[1]: unknown access mode (expected read or write)`,
    ]);
  });

  it('refuses permissions and policy together, and a policy file that is missing or invalid', async () => {
    const bad = join(dir, 'bad.policy.yaml');
    await writeFile(bad, 'version: "1.0"\npermissions:\n  network:\n    allow:\n      - nohost: x\n');
    const path = join(dir, 'm.yaml');
    expect(
      await problems(
        [
          'components:',
          '  - id: a',
          '    source: a.wasm',
          '    permissions: {}',
          '    policy: bad.policy.yaml', // 5
          '  - id: b',
          '    source: b.wasm',
          '    policy: missing.policy.yaml', // 8
          '  - id: c',
          '    source: c.wasm',
          '    policy: bad.policy.yaml', // 11
        ].join('\n'),
        path,
      ),
    ).toEqual([
      `${path}:5: components[0]: permissions and policy exclude each other: give the permissions inline or as a policy file, not both`,
      `${path}:8: components[1].policy: cannot use the policy file ${join(dir, 'missing.policy.yaml')}: cannot read policy file ${join(dir, 'missing.policy.yaml')}: there is no such file`,
      `${path}:11: components[2].policy: cannot use the policy file ${bad}: invalid policy ${bad}:`,
      `    ${bad}:5: permissions.network.allow[0]: unknown key (expected host)`,
      `    ${bad}:5: permissions.network.allow[0]: missing host`,
    ]);
  });

  it('refuses YAML syntax errors, an empty file and a missing or misshapen components list', async () => {
    expect(await problems('components:\n  - id: a\n    source: [unclosed\n')).toEqual([
      expect.stringMatching(new RegExp(`^${FILE}:\\d: \\(yaml\\): not valid YAML: `)),
    ]);
    expect(await problems('components:\n  - id: a\n\tsource: x\n')).toEqual([
      `${FILE}:3: (yaml): not valid YAML: a tab is used for indentation`,
    ]);
    expect(await problems('# nothing\n')).toEqual([
      `${FILE}:1: (top level): empty manifest: write components: followed by a list`,
    ]);
    expect(await problems('version: 1\n')).toEqual([
      `${FILE}:1: version: unknown key (expected components)`,
      `${FILE}:1: components: missing (the list of components)`,
    ]);
    expect(await problems('components:\n  id: a\n')).toEqual([
      `${FILE}:2: components: expected a list (- id: ...)`,
    ]);
    expect(await problems('components:\n  - just-a-string\n')).toEqual([
      `${FILE}:2: components[0]: expected a mapping (key: value)`,
    ]);
  });

  it('refuses a manifest file that cannot be read', async () => {
    const missing = join(dir, 'nope.yaml');
    await expect(readManifest(missing)).rejects.toMatchObject({
      code: 'bad-manifest',
      message: `cannot read manifest ${missing}: there is no such file`,
    });
  });
});
