/** examples/manifest.yaml documents the format: it must stay valid and list the bundled examples. */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readManifest } from '../../src/mcp/manifest/index.ts';
import { REPO_ROOT } from '../mcp/helpers.ts';

describe('examples/manifest.yaml', () => {
  it('is a valid manifest of the bundled examples, with their stateful flags, from examples/build', async () => {
    const manifest = await readManifest(join(REPO_ROOT, 'examples', 'manifest.yaml'));
    const examples = JSON.parse(
      await readFile(join(REPO_ROOT, 'examples', 'examples.json'), 'utf8'),
    ) as Record<string, { stateful: boolean }>;
    expect(manifest.components.map((c) => [c.id, c.stateful, c.sourceText])).toEqual(
      Object.entries(examples).map(([id, { stateful }]) => [
        id,
        stateful,
        join(REPO_ROOT, 'examples', 'build', `${id}.wasm`),
      ]),
    );
    // The inline permissions of `files` are the policy parser's: a key it grants.
    expect(manifest.components.find((c) => c.id === 'files')?.policy.permissions.environment).toEqual({
      allow: [{ key: 'HOME' }],
    });
  });
});
