/**
 * Grant/revoke semantics checked against a simple model: a map from uri to a set of access modes (and
 * sets of hosts and keys), as wassette's proptest does for permission merging.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  emptyPolicy,
  grantEnv,
  grantNetwork,
  grantStorage,
  type Policy,
  parsePolicy,
  revokeEnv,
  revokeNetwork,
  revokeStorage,
  serializePolicy,
} from '../../src/runtime/policy/index.ts';

// Sibling directories only: nesting (a read-only grant under a writable one) is refused, tested apart.
const uris = ['fs:///a', 'fs:///b', 'fs:///c/d', 'fs:///e'];
const hosts = ['api.example.com', 'https://api.example.com', 'localhost:8080', '*.example.org'];
const keys = ['A', 'B', 'API_KEY'];

type Op =
  | { kind: 'grant-storage'; uri: string; access: ('read' | 'write')[] }
  | { kind: 'revoke-storage'; uri: string }
  | { kind: 'grant-network' | 'revoke-network'; host: string }
  | { kind: 'grant-env' | 'revoke-env'; key: string };

const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({
    kind: fc.constant('grant-storage' as const),
    uri: fc.constantFrom(...uris),
    access: fc.array(fc.constantFrom('read' as const, 'write' as const), { minLength: 1, maxLength: 3 }),
  }),
  fc.record({ kind: fc.constant('revoke-storage' as const), uri: fc.constantFrom(...uris) }),
  fc.record({
    kind: fc.constantFrom('grant-network' as const, 'revoke-network' as const),
    host: fc.constantFrom(...hosts),
  }),
  fc.record({
    kind: fc.constantFrom('grant-env' as const, 'revoke-env' as const),
    key: fc.constantFrom(...keys),
  }),
);

interface Model {
  storage: Map<string, Set<string>>;
  hosts: Set<string>;
  keys: Set<string>;
}

function apply(policy: Policy, model: Model, o: Op): Policy {
  switch (o.kind) {
    case 'grant-storage': {
      const modes = model.storage.get(o.uri) ?? new Set();
      for (const a of o.access) modes.add(a);
      model.storage.set(o.uri, modes);
      return grantStorage(policy, o.uri, o.access);
    }
    case 'revoke-storage':
      model.storage.delete(o.uri);
      return revokeStorage(policy, o.uri);
    case 'grant-network':
      model.hosts.add(o.host);
      return grantNetwork(policy, o.host);
    case 'revoke-network':
      model.hosts.delete(o.host);
      return revokeNetwork(policy, o.host);
    case 'grant-env':
      model.keys.add(o.key);
      return grantEnv(policy, o.key);
    case 'revoke-env':
      model.keys.delete(o.key);
      return revokeEnv(policy, o.key);
  }
}

describe('grant and revoke', () => {
  it('match the model after any sequence, and survive a write and re-read', () => {
    fc.assert(
      fc.property(fc.array(op, { maxLength: 30 }), (ops) => {
        const model: Model = { storage: new Map(), hosts: new Set(), keys: new Set() };
        let policy = emptyPolicy('generated');
        for (const o of ops) policy = apply(policy, model, o);

        const storage = policy.permissions.storage?.allow ?? [];
        expect(new Set(storage.map((p) => p.uri))).toEqual(new Set(model.storage.keys()));
        for (const p of storage) {
          expect(new Set(p.access)).toEqual(model.storage.get(p.uri));
          expect(p.access.length).toBe(new Set(p.access).size);
        }
        const grantedHosts = (policy.permissions.network?.allow ?? []).map((p) => p.host);
        expect(new Set(grantedHosts)).toEqual(model.hosts);
        expect(grantedHosts.length).toBe(model.hosts.size);
        const grantedKeys = (policy.permissions.environment?.allow ?? []).map((p) => p.key);
        expect(new Set(grantedKeys)).toEqual(model.keys);
        expect(grantedKeys.length).toBe(model.keys.size);
        // empty sections are dropped, as wassette does
        if (model.storage.size === 0) expect(policy.permissions.storage).toBeUndefined();

        expect(parsePolicy(serializePolicy(policy))).toEqual(policy);
      }),
      { numRuns: 200 },
    );
  });
});
