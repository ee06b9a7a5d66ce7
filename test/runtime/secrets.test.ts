import {
  chmodSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { emptyPolicy, policyToSandbox } from '../../src/runtime/policy/index.ts';
import {
  defaultSecretsDir,
  deleteSecrets,
  listSecretKeys,
  loadSecrets,
  setSecrets,
} from '../../src/runtime/policy/secrets.ts';

const root = mkdtempSync(join(tmpdir(), 'wasmactor-secrets-'));
const dir = join(root, 'secrets');
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('secrets', () => {
  it('lives under $XDG_CONFIG_HOME/wasmactor/secrets', () => {
    expect(defaultSecretsDir({ XDG_CONFIG_HOME: '/x/config' })).toBe('/x/config/wasmactor/secrets');
    expect(defaultSecretsDir({})).toMatch(/\.config\/wasmactor\/secrets$/);
  });

  it('stores secrets per component in a 0600 file and reads them back', async () => {
    await setSecrets('weather', { API_KEY: 'k-1', TRICKY: 'yes: "quoted"\nline2' }, { dir });
    await setSecrets('weather', { OTHER: 'o' }, { dir });
    await setSecrets('mail', { SMTP_PASSWORD: 'p' }, { dir });
    expect(await loadSecrets('weather', { dir })).toEqual({
      API_KEY: 'k-1',
      TRICKY: 'yes: "quoted"\nline2',
      OTHER: 'o',
    });
    expect(await loadSecrets('mail', { dir })).toEqual({ SMTP_PASSWORD: 'p' });
    expect(statSync(join(dir, 'weather.yaml')).mode & 0o777).toBe(0o600);
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    // atomic writes leave no temp files behind
    expect(readdirSync(dir).sort()).toEqual(['mail.yaml', 'weather.yaml']);
  });

  it('lists keys only, and deletes some or all', async () => {
    expect(await listSecretKeys('weather', { dir })).toEqual(['API_KEY', 'OTHER', 'TRICKY']);
    expect(await deleteSecrets('weather', ['OTHER', 'MISSING'], { dir })).toEqual(['OTHER']);
    expect(await listSecretKeys('weather', { dir })).toEqual(['API_KEY', 'TRICKY']);
    expect(await deleteSecrets('weather', undefined, { dir })).toEqual(['API_KEY', 'TRICKY']);
    expect(await loadSecrets('weather', { dir })).toEqual({});
    expect(readdirSync(dir)).toEqual(['mail.yaml']);
  });

  it("gives a component its own secrets as environment variables and no other component's", async () => {
    const spec = policyToSandbox(emptyPolicy(), {
      envValues: {},
      secrets: await loadSecrets('mail', { dir }),
    });
    expect(spec.env).toEqual({ SMTP_PASSWORD: 'p' });
    const other = policyToSandbox(emptyPolicy(), {
      envValues: {},
      secrets: await loadSecrets('weather', { dir }),
    });
    expect(other.env).toEqual({});
  });

  it('refuses component names that would leave the directory, and bad keys', async () => {
    await expect(setSecrets('../escape', { A: 'b' }, { dir })).rejects.toThrow(/cannot name a secrets file/);
    await expect(setSecrets('ok', { 'A=B': 'b' }, { dir })).rejects.toThrow(/secret key/);
  });

  it('never puts a value in an error about a broken file', async () => {
    writeFileSync(join(dir, 'broken.yaml'), '- SUPER_SECRET_VALUE\n');
    const error = await loadSecrets('broken', { dir }).catch((e: unknown) => e as Error);
    expect(String(error)).toContain('not a mapping');
    expect(`${String(error)} ${JSON.stringify(error)} ${String((error as Error).cause)}`).not.toContain(
      'SUPER_SECRET_VALUE',
    );
    expect(readFileSync(join(dir, 'broken.yaml'), 'utf8')).toContain('SUPER_SECRET_VALUE');
  });

  it('brings an existing secrets directory that others can read to 0700, on read and on write', async () => {
    const open = join(root, 'open-secrets');
    mkdirSync(open, { mode: 0o755 });
    chmodSync(open, 0o755);
    writeFileSync(join(open, 'app.yaml'), 'TOKEN: "t"\n', { mode: 0o600 });
    expect(await loadSecrets('app', { dir: open })).toEqual({ TOKEN: 't' });
    expect(statSync(open).mode & 0o777).toBe(0o700);
    chmodSync(open, 0o775);
    await setSecrets('app', { MORE: 'm' }, { dir: open });
    expect(statSync(open).mode & 0o777).toBe(0o700);
    chmodSync(open, 0o711);
    expect(await listSecretKeys('app', { dir: open })).toEqual(['MORE', 'TOKEN']);
    expect(statSync(open).mode & 0o777).toBe(0o700);
  });

  it('refuses secret keys that are not environment variable names', async () => {
    await expect(setSecrets('ok', { '9LIVES': 'b' }, { dir })).rejects.toThrow(
      /secret key "9LIVES" is not an environment/,
    );
    await expect(setSecrets('ok', { ['K'.repeat(300)]: 'b' }, { dir })).rejects.toThrow(/longer than 256/);
  });
});
