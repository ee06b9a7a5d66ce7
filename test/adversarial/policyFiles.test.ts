/**
 * Policy files a client names are read with bounds and never echoed: a FIFO or /dev/zero is refused at
 * once, a huge (sparse) file from its size, a binary file as not UTF-8, and a shadow-style file with a
 * parse error that holds none of its lines.
 */
import { symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_POLICY_FILE_SIZE, readPolicyFile } from '../../src/runtime/policy/index.ts';
import { tempDirWithFifo } from './fifo.ts';
import { refusal } from './refusal.ts';
import { releaseFifos } from './storeCorruptions.ts';

let dir: string;
let fifo: string;

beforeAll(async () => {
  ({ dir, fifo } = await tempDirWithFifo('wasmactor-policy-files-', 'pipe.policy.yaml'));
});

afterAll(async () => {
  await releaseFifos([fifo]);
  await rm(dir, { recursive: true, force: true });
});

describe('readPolicyFile', () => {
  it('reads a policy, with the grant guard applied', async () => {
    const path = join(dir, 'ok.policy.yaml');
    writeFileSync(
      path,
      'version: "1.0"\npermissions:\n  storage:\n    allow:\n      - uri: fs:///\n        access: [read]\n',
    );
    expect((await readPolicyFile(path, { allowBroadGrants: true })).permissions.storage?.allow).toHaveLength(
      1,
    );
    const broad = await refusal(readPolicyFile(path));
    expect(broad.code).toBe('invalid-policy');
    expect(broad.message).toContain('--allow-broad-grants');
  });

  it('refuses a FIFO, /dev/zero and a symlink to it at once', async () => {
    const link = join(dir, 'zero.policy.yaml');
    symlinkSync('/dev/zero', link);
    for (const path of [fifo, '/dev/zero', link]) {
      const error = await refusal(readPolicyFile(path));
      expect(error.code).toBe('not-a-file');
      expect(error.message).toMatch(/^cannot read policy file .*: it is a (FIFO|character device)/);
    }
  });

  it('refuses a file over 1 MiB from its size', async () => {
    const path = join(dir, 'huge.policy.yaml');
    writeFileSync(path, 'version: "1.0"\n');
    truncateSync(path, 2 ** 31);
    const error = await refusal(readPolicyFile(path));
    expect(error.code).toBe('too-large');
    expect(MAX_POLICY_FILE_SIZE).toBe(2 ** 20);
  });

  it('never echoes a shadow-style or binary file', async () => {
    const shadow = join(dir, 'shadow');
    writeFileSync(
      shadow,
      'root:$6$Zq9SecretSalt$HashHashHash:19000:0:99999:7:::\ndaemon:*:19000:0:99999:7:::\n',
    );
    const binary = join(dir, 'binary');
    writeFileSync(binary, Buffer.concat([Buffer.from([0xff, 0xfe, 0x00]), Buffer.from('Zq9SecretSalt')]));
    for (const path of [shadow, binary]) {
      const error = await refusal(readPolicyFile(path));
      expect(error.code).toBe('invalid-policy');
      expect(error.message).toContain(path);
      expect(`${error.message} ${String(error.cause)}`).not.toMatch(/Zq9Secret|root|daemon|19000/);
    }
  });
});
