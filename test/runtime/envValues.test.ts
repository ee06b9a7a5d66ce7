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
    expect(() => parseEnvPair('=x', '--env')).toThrow(/--env: not KEY=VALUE/);
    expect(() => parseEnvPair('novalue', '--env')).toThrow(RuntimeError);
  });

  it('refuses keys that are not environment variable names, without echoing the line', () => {
    for (const bad of ['1A=x', 'A-B=x', 'A.B=x', 'A B=x', `${'K'.repeat(257)}=x`]) {
      expect(() => parseEnvPair(bad, 'f.env:3')).toThrow(
        /f\.env:3: the key (is not an environment variable name|is longer than 256)/,
      );
    }
    expect(parseEnvPair(`${'K'.repeat(256)}=x`, '--env')[0]).toHaveLength(256);
    expect(parseEnvPair('_a1=x', '--env')).toEqual(['_a1', 'x']);
    let error: Error | undefined;
    try {
      parseEnvPair('root:$6$s3cretHash=:19000', 'shadow:1');
    } catch (e) {
      error = e as Error;
    }
    expect(error?.message).toMatch(/^shadow:1: the key/);
    expect(error?.message).not.toMatch(/root|s3cret|19000/);
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
