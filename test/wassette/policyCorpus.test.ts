/**
 * A corpus of policy files in the forms wassette's documentation and policy crate accept (written here
 * from those forms, not copied): each must load, and mean what wassette means by it.
 */
import { describe, expect, it } from 'vitest';
import { isHostAllowed } from '../../src/runtime/network.ts';
import { emptyPolicy, grantNetwork, parsePolicy, resetPolicy } from '../../src/runtime/policy/index.ts';
import { RuntimeError } from '../../src/runtime/RuntimeError.ts';

const corpus: { name: string; text: string; permissions: object; description?: string }[] = [
  {
    name: 'a $schema line for editors, ignored',
    text: `$schema: "https://example.org/wassette/policy.schema.json"
version: "1.0"
description: "Weather tool"
permissions:
  network:
    allow:
      - host: "https://api.search.brave.com/"
`,
    description: 'Weather tool',
    permissions: { network: { allow: [{ host: 'https://api.search.brave.com' }] } },
  },
  {
    name: 'hosts written as URLs with a path, a port, or bare',
    text: `version: "1.0"
permissions:
  network:
    allow:
      - host: https://api.example.com/v1/
      - host: http://localhost:8080/health
      - host: api.github.com
      - host: "*.githubusercontent.com"
`,
    permissions: {
      network: {
        allow: [
          { host: 'https://api.example.com' },
          { host: 'http://localhost:8080' },
          { host: 'api.github.com' },
          { host: '*.githubusercontent.com' },
        ],
      },
    },
  },
  { name: 'an empty file', text: '', permissions: {} },
  { name: 'only comments', text: '# nothing granted yet\n\n', permissions: {} },
  { name: 'permissions left empty', text: 'version: "1.0"\npermissions:\n', permissions: {} },
  { name: 'permissions as {}', text: "version: '1.0'\npermissions: {}\n", permissions: {} },
  {
    name: 'sections and allow lists left empty or null',
    text: `version: "1.0"
description: "Nothing yet"
permissions:
  storage:
    allow:
  network:
    allow: []
  environment:
    allow: ~
`,
    description: 'Nothing yet',
    permissions: {},
  },
  {
    name: 'storage, environment and memory in the documented layout',
    text: `version: "1.0"
description: "Reads its workspace"
permissions:
  storage:
    allow:
      - uri: "fs:///work/agent"
        access: ["read", "write"]
      - uri: fs:///work/shared
        access:
          - read
  environment:
    allow:
      - key: "OPENWEATHER_API_KEY"
  resources:
    limits:
      memory: "512Mi"
`,
    description: 'Reads its workspace',
    permissions: {
      storage: {
        allow: [
          { uri: 'fs:///work/agent', access: ['read', 'write'] },
          { uri: 'fs:///work/shared', access: ['read'] },
        ],
      },
      environment: { allow: [{ key: 'OPENWEATHER_API_KEY' }] },
      resources: { limits: { memory: '512Mi' } },
    },
  },
];

describe('wassette policy corpus', () => {
  for (const entry of corpus) {
    it(`loads ${entry.name}`, () => {
      const policy = parsePolicy(entry.text, 'corpus.yaml');
      expect(policy.permissions).toEqual(entry.permissions);
      expect(policy.description).toBe(entry.description);
    });
  }

  it('a host URL means that host, scheme and port as given, and every path on it', () => {
    const hosts = parsePolicy(corpus[1]?.text ?? '').permissions.network?.allow.map((a) => a.host) ?? [];
    expect(isHostAllowed('api.example.com', hosts, 'https')).toBe(true);
    expect(isHostAllowed('api.example.com', hosts, 'http')).toBe(false);
    expect(isHostAllowed('localhost:8080', hosts, 'http')).toBe(true);
    expect(isHostAllowed('localhost:8081', hosts, 'http')).toBe(false);
    expect(isHostAllowed('evil.example.com', hosts, 'https')).toBe(false);
    // a request authority is never a URL
    expect(isHostAllowed('api.github.com/x', hosts, 'https')).toBe(false);
  });

  it('grant-network takes the same URL forms', () => {
    const policy = grantNetwork(emptyPolicy(), 'https://api.search.brave.com/');
    expect(policy.permissions.network?.allow).toEqual([{ host: 'https://api.search.brave.com' }]);
    expect(grantNetwork(policy, 'HTTPS://api.search.brave.com/res/v1/').permissions.network?.allow).toEqual([
      { host: 'https://api.search.brave.com' },
    ]);
  });

  it('still refuses what cannot be enforced, at file:line:field, without echoing the file', () => {
    const text = `$schema: x
version: "1.0"
permissions:
  network:
    allow:
      - host: "ftp://secret-host.example/"
      - cidr: 10.0.0.0/8
`;
    let message = '';
    try {
      parsePolicy(text, 'p.yaml');
    } catch (err) {
      expect(err).toBeInstanceOf(RuntimeError);
      message = (err as RuntimeError).message;
    }
    expect(message).toContain('p.yaml:6: permissions.network.allow[0].host: the value has a scheme');
    expect(message).toContain('p.yaml:7: permissions.network.allow[1].cidr: cidr grants are not supported');
    expect(message).not.toContain('secret-host');
  });

  it("wassette's older resources layout is refused with the form to write instead", () => {
    let message = '';
    try {
      parsePolicy('version: "1.0"\npermissions:\n  resources:\n    memory: 512\n', 'old.yaml');
    } catch (err) {
      message = (err as RuntimeError).message;
    }
    expect(message).toContain(
      'old.yaml:4: permissions.resources.memory: write the memory limit as permissions.resources.limits.memory (e.g. 512Mi)',
    );
  });

  it('after a grant the description no longer says "deny all", and says it again after reset', () => {
    const start = emptyPolicy('Default policy for weather: deny all');
    const granted = grantNetwork(start, 'https://api.example.com/');
    expect(granted.description).toBe('Default policy for weather: permissions granted at run time');
    expect(granted.description).not.toMatch(/deny all/i);
    expect(resetPolicy(granted).description).toBe('Default policy for weather: deny all');
    expect(grantNetwork(emptyPolicy('Deny all.'), 'a.example').description).toBeUndefined();
    expect(grantNetwork(emptyPolicy('Mine'), 'a.example').description).toBe('Mine');
  });
});
