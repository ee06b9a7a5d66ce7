import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { RuntimeError } from '../../src/runtime/index.ts';
import { parseEnvPair, readEnvFile } from '../../src/runtime/policy/index.ts';

describe('env values', () => {
  it('splits KEY=VALUE at the first =', () => {
    expect(parseEnvPair('A=b=c', '--env')).toEqual(['A', 'b=c']);
    expect(parseEnvPair('EMPTY=', '--env')).toEqual(['EMPTY', '']);
  });

  it('names the flag when a pair has no key', () => {
    expect(() => parseEnvPair('=x', '--env')).toThrow(/--env: "=x" is not KEY=VALUE/);
    expect(() => parseEnvPair('novalue', '--env')).toThrow(RuntimeError);
  });

  it('reads an env file: comments, blank lines, export and quotes; a bad line names file and line', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'wasmactor-env-'));
    try {
      const good = join(dir, 'good.env');
      await writeFile(good, '# comment\n\nA=1\nexport B="two words"\nC=\'x\'\n');
      expect(await readEnvFile(good)).toEqual({ A: '1', B: 'two words', C: 'x' });
      const bad = join(dir, 'bad.env');
      await writeFile(bad, 'A=1\noops\n');
      await expect(readEnvFile(bad)).rejects.toThrow(`${bad}:2`);
      await expect(readEnvFile(join(dir, 'missing.env'))).rejects.toThrow(/cannot read --env-file/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
