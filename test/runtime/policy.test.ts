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
      'x/policy.yaml:9: permissions.storage.allow[1].access[1]: unknown access mode (expected read or write)',
    );
    expect(message).not.toContain('exec');
  });

  it('refuses a relative fs:// path and says how to write it, without quoting the file', () => {
    const text = full.replace('fs:///work/data', 'fs://work/data');
    const message = policyError(() => parsePolicy(text));
    expect(message).toContain(
      'policy.yaml:6: permissions.storage.allow[0].uri: the value is a relative fs:// path; write an absolute one (fs:///absolute/path)',
    );
    expect(message).not.toContain('work/data');
  });

  it('refuses unknown keys, and wassette keys that wasmactor cannot enforce', () => {
    const typo = policyError(() => parsePolicy('version: "1.0"\npermisions: {}\n'));
    expect(typo).toContain(
      'policy.yaml:2: (top level): unknown key (expected version, description, permissions)',
    );
    expect(typo).not.toContain('permisions');
    const deny = 'version: "1.0"\npermissions:\n  network:\n    deny:\n      - host: x.com\n';
    expect(policyError(() => parsePolicy(deny))).toContain(
      'policy.yaml:4: permissions.network.deny: deny lists',
    );
    const cidr = 'version: "1.0"\npermissions:\n  network:\n    allow:\n      - cidr: 10.0.0.0/8\n';
    expect(policyError(() => parsePolicy(cidr))).toContain('permissions.network.allow[0].cidr: cidr grants');
    const extra = full.replace('- key: "API_KEY"', '- key: "API_KEY"\n        value: x');
    expect(policyError(() => parsePolicy(extra))).toContain(
      'permissions.environment.allow[0]: unknown key (expected key)',
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
    const message = policyError(() => parsePolicy(text));
    expect(message).toContain(
      'permissions.storage.allow[1] is read-only but lies inside the writable grant permissions.storage.allow[0]',
    );
    expect(message).not.toContain('fs:///work');
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
    expect(policyError(() => grantStorage(base, 'fs://rel', ['read']))).toContain(
      'did you mean "fs:///rel"?',
    );
    expect(policyError(() => grantNetwork(base, 'a b'))).toContain('host: "a b" is not a host name');
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

describe('broad grants', () => {
  const home = '/home/alice';
  const serverDirs = [
    '/home/alice/.local/share/wasmactor',
    '/home/alice/.config/wasmactor',
    '/var/cache/wasmactor',
  ];
  const guard = { home, serverDirs };
  const refused = [
    'fs:///',
    'fs:///proc',
    'fs:///proc/self/root',
    'fs:///sys',
    'fs:///sys/kernel',
    'fs:///dev',
    'fs:///dev/shm',
    'fs:///home/alice',
    'fs:///home/alice/',
    'fs:///home',
    'fs:///home/alice/.local',
    'fs:///home/alice/.local/share/wasmactor',
    'fs:///home/alice/.local/share/wasmactor/components/x',
    'fs:///home/alice/.config',
    'fs:///home/alice/.config/wasmactor/secrets',
    'fs:///var/cache/wasmactor',
    'fs:///var/cache',
    'fs:///var',
  ];
  const allowed = [
    'fs:///home/alice/projects',
    'fs:///home/alice/.config/other-app',
    'fs:///home/alicebob',
    'fs:///tmp/work',
    'fs:///procfs-backup',
    'fs:///var/lib/app',
    'fs:///devices',
  ];

  it.each(refused)('refuses %s and names --allow-broad-grants', (uri) => {
    const message = policyError(() => grantStorage(emptyPolicy(), uri, ['read'], guard));
    expect(message).toMatch(/^uri: fs:\/\/\/\S* grants .*, which is refused; .*--allow-broad-grants/);
  });

  it.each(allowed)('grants %s', (uri) => {
    expect(grantStorage(emptyPolicy(), uri, ['read'], guard).permissions.storage?.allow).toEqual([
      { uri, access: ['read'] },
    ]);
  });

  it('grants everything with allowBroadGrants, and checks only /, /proc, /sys and /dev without dirs', () => {
    for (const uri of refused) {
      expect(grantStorage(emptyPolicy(), uri, ['read'], { ...guard, allowBroadGrants: true })).toBeDefined();
    }
    expect(() => grantStorage(emptyPolicy(), 'fs:///proc', ['read'])).toThrow(/--allow-broad-grants/);
    expect(grantStorage(emptyPolicy(), 'fs:///home/alice', ['read']).permissions.storage).toBeDefined();
  });

  it('refuses a narrow-looking grant that is a symlink to a broad directory when building the sandbox', () => {
    const root = realpathSync(mkdtempSync(join(tmpdir(), 'wasmactor-broad-')));
    const toRoot = join(root, 'to-root');
    const toHome = join(root, 'to-home');
    const homeDir = join(root, 'home');
    mkdirSync(homeDir);
    symlinkSync('/', toRoot);
    symlinkSync(homeDir, toHome);
    const rootPolicy = grantStorage(emptyPolicy(), `fs://${toRoot}`, ['read'], guard);
    expect(policyError(() => policyToSandbox(rootPolicy, { envValues: {}, guard }))).toBe(
      `fs://${toRoot} resolves through a symlink to / and so grants the whole file system, which is refused; ` +
        'grant a narrower directory, or start the server with --allow-broad-grants',
    );
    const homePolicy = grantStorage(emptyPolicy(), `fs://${toHome}`, ['read'], { home: homeDir });
    expect(
      policyError(() => policyToSandbox(homePolicy, { envValues: {}, guard: { home: homeDir } })),
    ).toContain('the home directory as a whole');
    // the server's directories are compared by their real paths too
    const realHome = grantStorage(emptyPolicy(), `fs://${homeDir}`, ['read']);
    expect(
      policyError(() => policyToSandbox(realHome, { envValues: {}, guard: { home: toHome } })),
    ).toContain('the home directory as a whole');
    expect(
      policyToSandbox(rootPolicy, { envValues: {}, guard: { allowBroadGrants: true } }).preopens,
    ).toEqual([{ hostPath: toRoot, guestPath: toRoot, readOnly: true }]);
  });

  it('refuses a broad grant in a policy file, at its line and field', () => {
    const text =
      'version: "1.0"\npermissions:\n  storage:\n    allow:\n      - uri: fs:///tmp/ok\n        access: [read]\n      - uri: fs:///\n        access: [read]\n';
    const message = policyError(() => parsePolicy(text, 'p.yaml', guard));
    expect(message).toContain(
      'p.yaml:7: permissions.storage.allow[1].uri: the value grants the whole file system, which is refused',
    );
    expect(message).toContain('--allow-broad-grants');
    expect(parsePolicy(text, 'p.yaml', { allowBroadGrants: true }).permissions.storage?.allow).toHaveLength(
      2,
    );
  });
});

describe('environment keys', () => {
  it('must be [A-Za-z_][A-Za-z0-9_]* of at most 256 characters', () => {
    for (const key of ['A', '_', 'a_b', 'API_KEY2', '_9', 'K'.repeat(256)]) {
      expect(grantEnv(emptyPolicy(), key).permissions.environment?.allow).toEqual([{ key }]);
    }
    for (const key of ['', '9A', 'A-B', 'A.B', 'A B', 'A=B', 'AWS_*', 'É', 'A\0', 'K'.repeat(257)]) {
      expect(policyError(() => grantEnv(emptyPolicy(), key))).toMatch(/^key: ".*" (is|has)/);
    }
    const long = policyError(() => grantEnv(emptyPolicy(), 'K'.repeat(10_000)));
    expect(long).toContain('longer than 256');
    expect(long.length).toBeLessThan(200);
  });

  it('are checked in policy files too', () => {
    const text = 'version: "1.0"\npermissions:\n  environment:\n    allow:\n      - key: "MY.KEY"\n';
    expect(policyError(() => parsePolicy(text))).toContain(
      'policy.yaml:5: permissions.environment.allow[0].key: the value is not an environment variable name',
    );
  });
});
