import { mkdirSync, mkdtempSync, realpathSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  emptyPolicy,
  grantEnv,
  grantNetwork,
  grantStorage,
  parseMemoryQuantity,
  parsePolicy,
  policyToSandbox,
  resetPolicy,
  revokeEnv,
  revokeNetwork,
  revokeStorage,
  serializePolicy,
} from '../../src/runtime/policy/index.ts';
import { RuntimeError } from '../../src/runtime/RuntimeError.ts';

const full = `version: "1.0"
description: "Example policy"
permissions:
  storage:
    allow:
      - uri: "fs:///work/data"
        access: ["read", "write"]
      - uri: fs:///etc/app/
        access: [read]
  network:
    allow:
      - host: "api.example.com"
      - host: https://secure.example.com:8443
  environment:
    allow:
      - key: "API_KEY"
  resources:
    limits:
      memory: "512Mi"
`;

/** The message of the `invalid-policy` error that `work` throws. */
function policyError(work: () => unknown): string {
  try {
    work();
  } catch (err) {
    expect(err).toBeInstanceOf(RuntimeError);
    expect((err as RuntimeError).code).toBe('invalid-policy');
    return (err as RuntimeError).message;
  }
  throw new Error('expected an invalid-policy error');
}

describe('parsePolicy', () => {
  it('reads every section of a wassette policy file', () => {
    const policy = parsePolicy(full);
    expect(policy).toEqual({
      version: '1.0',
      description: 'Example policy',
      permissions: {
        storage: {
          allow: [
            { uri: 'fs:///work/data', access: ['read', 'write'] },
            { uri: 'fs:///etc/app', access: ['read'] },
          ],
        },
        network: { allow: [{ host: 'api.example.com' }, { host: 'https://secure.example.com:8443' }] },
        environment: { allow: [{ key: 'API_KEY' }] },
        resources: { limits: { memory: '512Mi' } },
      },
    });
  });

  it('keeps an unquoted version a string and accepts an empty permissions section', () => {
    expect(parsePolicy('version: 1.0\npermissions: {}\n')).toEqual({ version: '1.0', permissions: {} });
    expect(parsePolicy('version: 1.0\n')).toEqual({ version: '1.0', permissions: {} });
  });

  it('round-trips through serializePolicy', () => {
    const policy = parsePolicy(full);
    expect(parsePolicy(serializePolicy(policy))).toEqual(policy);
    const text = serializePolicy(policy);
    expect(text).toContain('version: "1.0"');
    expect(text).toContain('uri: "fs:///work/data"');
  });

  it('refuses bad YAML with its line', () => {
    const message = policyError(() => parsePolicy('version: "1.0"\npermissions:\n  storage: [\n', 'p.yaml'));
    expect(message).toMatch(/p\.yaml:\d+: \(yaml\)/);
  });

  it('refuses an unknown access mode, naming the field and line', () => {
    const text = full.replace('access: [read]', 'access: [read, exec]');
    const message = policyError(() => parsePolicy(text, 'x/policy.yaml'));
    expect(message).toContain(
      'x/policy.yaml:9: permissions.storage.allow[1].access[1]: unknown access mode "exec"',
    );
  });

  it('refuses a relative fs:// path and says how to write it', () => {
    const text = full.replace('fs:///work/data', 'fs://work/data');
    const message = policyError(() => parsePolicy(text));
    expect(message).toContain(
      'policy.yaml:6: permissions.storage.allow[0].uri: "fs://work/data" is a relative',
    );
    expect(message).toContain('fs:///work/data');
  });

  it('refuses unknown keys, and wassette keys that wasmactor cannot enforce', () => {
    expect(policyError(() => parsePolicy('version: "1.0"\npermisions: {}\n'))).toContain(
      'policy.yaml:2: permisions: unknown key',
    );
    const deny = 'version: "1.0"\npermissions:\n  network:\n    deny:\n      - host: x.com\n';
    expect(policyError(() => parsePolicy(deny))).toContain(
      'policy.yaml:4: permissions.network.deny: deny lists',
    );
    const cidr = 'version: "1.0"\npermissions:\n  network:\n    allow:\n      - cidr: 10.0.0.0/8\n';
    expect(policyError(() => parsePolicy(cidr))).toContain('permissions.network.allow[0].cidr: cidr grants');
    const extra = full.replace('- key: "API_KEY"', '- key: "API_KEY"\n        value: x');
    expect(policyError(() => parsePolicy(extra))).toContain(
      'permissions.environment.allow[0].value: unknown key',
    );
  });

  it('reports every problem at once, in line order', () => {
    const text = [
      'version: "2.0"',
      'permissions:',
      '  storage:',
      '    allow:',
      '      - uri: fs:///a/*',
      '        access: []',
      '  network:',
      '    allow:',
      '      - host: "ftp://files.example.com"',
      '  environment:',
      '    allow:',
      '      - key: "AWS_*"',
      '  resources:',
      '    limits:',
      '      memory: lots',
    ].join('\n');
    const lines = policyError(() => parsePolicy(text))
      .split('\n')
      .slice(1);
    expect(lines.map((l) => l.replace(/:.*?:.*?:.*/, (m) => m.split(':').slice(0, 3).join(':')))).toEqual([
      'policy.yaml:1: version',
      'policy.yaml:5: permissions.storage.allow[0].uri',
      'policy.yaml:6: permissions.storage.allow[0].access',
      'policy.yaml:9: permissions.network.allow[0].host',
      'policy.yaml:12: permissions.environment.allow[0].key',
      'policy.yaml:15: permissions.resources.limits.memory',
    ]);
  });

  it('refuses a read-only grant inside a writable one', () => {
    const text = full.replace('fs:///etc/app/', 'fs:///work/data/readonly');
    expect(policyError(() => parsePolicy(text))).toContain(
      'fs:///work/data/readonly is read-only but lies inside the writable grant fs:///work/data',
    );
  });
});

describe('grants', () => {
  const base = emptyPolicy();

  it('merges access modes when a uri is granted again, and revoke removes the uri', () => {
    let policy = grantStorage(base, 'fs:///data/', ['read']);
    policy = grantStorage(policy, 'fs:///data', ['write', 'read']);
    expect(policy.permissions.storage?.allow).toEqual([{ uri: 'fs:///data', access: ['read', 'write'] }]);
    expect(revokeStorage(policy, 'fs:///data').permissions).toEqual({});
  });

  it('refuses bad grants with the field at fault', () => {
    expect(policyError(() => grantStorage(base, 'fs:///d', ['exec']))).toContain(
      'access: unknown access mode',
    );
    expect(policyError(() => grantStorage(base, 'fs://rel', ['read']))).toContain(
      'uri: "fs://rel" is a relative',
    );
    expect(policyError(() => grantNetwork(base, 'a b'))).toContain('host: "a b": "a b" is not a host name');
    expect(policyError(() => grantEnv(base, 'A=B'))).toContain('key:');
    const outer = grantStorage(base, 'fs:///w', ['read', 'write']);
    expect(policyError(() => grantStorage(outer, 'fs:///w/ro', ['read']))).toContain(
      'inside the writable grant',
    );
  });

  it('grants network and environment as sets and revokes them', () => {
    let policy = grantNetwork(grantNetwork(base, 'API.example.com'), 'api.example.com');
    policy = grantEnv(grantEnv(policy, 'K'), 'K');
    expect(policy.permissions).toEqual({
      network: { allow: [{ host: 'api.example.com' }] },
      environment: { allow: [{ key: 'K' }] },
    });
    expect(revokeEnv(revokeNetwork(policy, 'api.example.com'), 'K').permissions).toEqual({});
  });

  it('reset returns to deny-all and keeps the description', () => {
    const policy = resetPolicy(parsePolicy(full));
    expect(policy).toEqual({ version: '1.0', description: 'Example policy', permissions: {} });
    expect(policyToSandbox(policy, { envValues: { API_KEY: 'v' }, hostEnv: process.env })).toEqual({
      preopens: [],
      env: {},
      allowedHosts: [],
    });
  });

  it('does not change the policy it is given', () => {
    const policy = parsePolicy(full);
    const before = structuredClone(policy);
    grantStorage(policy, 'fs:///work/data', ['read']);
    revokeNetwork(policy, 'api.example.com');
    grantEnv(policy, 'X');
    expect(policy).toEqual(before);
  });
});

describe('parseMemoryQuantity', () => {
  it('reads Kubernetes quantities', () => {
    expect(parseMemoryQuantity('512Mi')).toEqual({ ok: true, value: 512 * 2 ** 20 });
    expect(parseMemoryQuantity('1Gi')).toEqual({ ok: true, value: 2 ** 30 });
    expect(parseMemoryQuantity('100M')).toEqual({ ok: true, value: 100e6 });
    expect(parseMemoryQuantity('65536')).toEqual({ ok: true, value: 65536 });
    expect(parseMemoryQuantity('1Ki').ok).toBe(false);
    expect(parseMemoryQuantity('12 bananas').ok).toBe(false);
  });
});

describe('policyToSandbox', () => {
  const root = realpathSync(mkdtempSync(join(tmpdir(), 'wasmactor-policy-')));
  const rw = join(root, 'rw');
  const ro = join(root, 'ro');
  mkdirSync(rw);
  mkdirSync(ro);

  it('maps grants to same-path preopens, granted env, hosts and a memory limit', () => {
    let policy = grantStorage(emptyPolicy(), `fs://${rw}`, ['read', 'write']);
    policy = grantStorage(policy, `fs://${ro}`, ['read']);
    policy = grantStorage(policy, `fs://${join(root, 'missing')}`, ['read']);
    policy = grantEnv(grantEnv(grantEnv(policy, 'FROM_SERVE'), 'FROM_HOST'), 'NOWHERE');
    policy = grantNetwork(policy, '127.0.0.1:8080');
    policy = { ...policy, permissions: { ...policy.permissions, resources: { limits: { memory: '64Mi' } } } };
    const spec = policyToSandbox(policy, {
      envValues: { FROM_SERVE: 'serve', UNGRANTED: 'x' },
      hostEnv: { FROM_SERVE: 'host', FROM_HOST: 'host', HOME: '/root' },
      secrets: { TOKEN: 's3cret' },
    });
    expect(spec).toEqual({
      preopens: [
        { hostPath: rw, guestPath: rw, readOnly: false },
        { hostPath: ro, guestPath: ro, readOnly: true },
      ],
      env: { FROM_SERVE: 'serve', FROM_HOST: 'host', TOKEN: 's3cret' },
      allowedHosts: ['127.0.0.1:8080'],
      memoryLimit: 64 * 2 ** 20,
    });
  });

  it('never reads the host environment for a key that is not granted', () => {
    const spec = policyToSandbox(emptyPolicy(), { envValues: {}, hostEnv: { HOME: '/root', PATH: '/bin' } });
    expect(spec.env).toEqual({});
  });

  it('refuses a read-only grant that is the same directory as a writable one through a symlink', () => {
    const link = join(root, 'link-to-rw');
    symlinkSync(rw, link);
    let policy = grantStorage(emptyPolicy(), `fs://${rw}`, ['read', 'write']);
    policy = grantStorage(policy, `fs://${link}`, ['read']);
    expect(policyError(() => policyToSandbox(policy, { envValues: {} }))).toContain(
      `fs://${link} is read-only but lies inside the writable grant fs://${rw}`,
    );
  });
});
