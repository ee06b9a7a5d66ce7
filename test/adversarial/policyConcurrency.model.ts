/**
 * The model of the concurrency tests of permission changes: a list of changes to one component, sent
 * together, must leave the same permissions as the same changes made one after the other in the order
 * they were sent. The model is written here from the documented rules (a grant adds or widens an entry
 * at the end, a revoke removes it, reset clears everything, a reload keeps the stored policy, a reload
 * with a policy file takes the file's), not from the code under test.
 */
import fc from 'fast-check';
import { parse } from 'yaml';

/** One permission change, as sent to the server. */
export type Change =
  | { kind: 'grant-storage'; dir: number; access: ('read' | 'write')[] }
  | { kind: 'revoke-storage'; dir: number }
  | { kind: 'grant-network'; host: string }
  | { kind: 'revoke-network'; host: string }
  | { kind: 'grant-env'; key: string }
  | { kind: 'revoke-env'; key: string }
  | { kind: 'reset' }
  /** `load-component` again without a policy file: the stored policy stays. */
  | { kind: 'reload' }
  /** `load-component` with `policy_path`: the file's permissions replace the stored ones. */
  | { kind: 'reload-with-policy' };

/** How many sibling directories the changes grant and revoke (never nested: nesting has its own rules). */
export const DIRS = 3;
export const HOSTS = ['a.example.com', 'b.example.com', 'c.example.com'];
export const KEYS = ['KEY_A', 'KEY_B', 'KEY_C'];

/** Random changes; `reloads` says whether reloads are among them (they are slower). */
export function changeArbitrary(reloads: boolean): fc.Arbitrary<Change> {
  const dir = fc.integer({ min: 0, max: DIRS - 1 });
  const options: fc.WeightedArbitrary<Change>[] = [
    {
      weight: 4,
      arbitrary: fc.record({
        kind: fc.constant('grant-storage' as const),
        dir,
        access: fc.constantFrom<('read' | 'write')[]>(
          ['read'],
          ['write'],
          ['read', 'write'],
          ['write', 'read'],
        ),
      }),
    },
    { weight: 3, arbitrary: fc.record({ kind: fc.constant('revoke-storage' as const), dir }) },
    {
      weight: 2,
      arbitrary: fc.record({ kind: fc.constant('grant-network' as const), host: fc.constantFrom(...HOSTS) }),
    },
    {
      weight: 2,
      arbitrary: fc.record({ kind: fc.constant('revoke-network' as const), host: fc.constantFrom(...HOSTS) }),
    },
    {
      weight: 2,
      arbitrary: fc.record({ kind: fc.constant('grant-env' as const), key: fc.constantFrom(...KEYS) }),
    },
    {
      weight: 2,
      arbitrary: fc.record({ kind: fc.constant('revoke-env' as const), key: fc.constantFrom(...KEYS) }),
    },
    { weight: 1, arbitrary: fc.constant({ kind: 'reset' as const }) },
  ];
  if (reloads) {
    options.push(
      { weight: 1, arbitrary: fc.constant({ kind: 'reload' as const }) },
      { weight: 1, arbitrary: fc.constant({ kind: 'reload-with-policy' as const }) },
    );
  }
  return fc.oneof(...options);
}

/** The permissions of a component, as the model keeps them (insertion order matters, as in the file). */
export class PermissionModel {
  storage = new Map<string, ('read' | 'write')[]>();
  network: string[] = [];
  env: string[] = [];

  /** `dirs[i]` is the absolute path of directory i; `policyFile` what `reload-with-policy` loads. */
  constructor(
    private readonly dirs: string[],
    private readonly policyFile: Permissions,
  ) {}

  apply(change: Change): void {
    switch (change.kind) {
      case 'grant-storage': {
        const uri = this.uri(change.dir);
        const access = [...(this.storage.get(uri) ?? [])];
        for (const mode of change.access) if (!access.includes(mode)) access.push(mode);
        this.storage.set(uri, access);
        return;
      }
      case 'revoke-storage':
        this.storage.delete(this.uri(change.dir));
        return;
      case 'grant-network':
        if (!this.network.includes(change.host)) this.network.push(change.host);
        return;
      case 'revoke-network':
        this.network = this.network.filter((h) => h !== change.host);
        return;
      case 'grant-env':
        if (!this.env.includes(change.key)) this.env.push(change.key);
        return;
      case 'revoke-env':
        this.env = this.env.filter((k) => k !== change.key);
        return;
      case 'reset':
        this.storage.clear();
        this.network = [];
        this.env = [];
        return;
      case 'reload':
        return;
      case 'reload-with-policy': {
        const file = this.policyFile;
        this.storage = new Map((file.storage?.allow ?? []).map((s) => [s.uri, [...s.access]]));
        this.network = (file.network?.allow ?? []).map((n) => n.host);
        this.env = (file.environment?.allow ?? []).map((e) => e.key);
        return;
      }
    }
  }

  /** `fs://<dir i>`. */
  uri(dir: number): string {
    return `fs://${this.dirs[dir]}`;
  }

  /** The permissions as the server shows them (`permissions` of a policy; empty kinds left out). */
  permissions(): Permissions {
    return {
      ...(this.storage.size > 0
        ? { storage: { allow: [...this.storage].map(([uri, access]) => ({ uri, access })) } }
        : {}),
      ...(this.network.length > 0 ? { network: { allow: this.network.map((host) => ({ host })) } } : {}),
      ...(this.env.length > 0 ? { environment: { allow: this.env.map((key) => ({ key })) } } : {}),
    };
  }
}

/** The `permissions` block of a policy. */
export interface Permissions {
  storage?: { allow: { uri: string; access: ('read' | 'write')[] }[] };
  network?: { allow: { host: string }[] };
  environment?: { allow: { key: string }[] };
}

/** The permissions of a policy.yaml text (what get-policy shows, or the file on disk). */
export function permissionsOf(policyYaml: string): Permissions {
  return ((parse(policyYaml) as { permissions?: Permissions } | null)?.permissions ?? {}) as Permissions;
}

/** The text of a policy file with `permissions`. */
export function policyFileText(permissions: Permissions): string {
  return `${JSON.stringify({ version: '1.0', description: 'from a policy file', permissions }, null, 2)}\n`;
}

/** The tool call that makes `change` (`wasmPath` and `policyPath` for reloads). */
export function toolCall(
  change: Change,
  model: PermissionModel,
  component: { id: string; wasmPath: string; policyPath: string },
): { name: string; arguments: Record<string, unknown> } {
  const component_id = component.id;
  switch (change.kind) {
    case 'grant-storage':
      return {
        name: 'grant-storage-permission',
        arguments: { component_id, details: { uri: model.uri(change.dir), access: change.access } },
      };
    case 'revoke-storage':
      return {
        name: 'revoke-storage-permission',
        arguments: { component_id, details: { uri: model.uri(change.dir) } },
      };
    case 'grant-network':
      return {
        name: 'grant-network-permission',
        arguments: { component_id, details: { host: change.host } },
      };
    case 'revoke-network':
      return {
        name: 'revoke-network-permission',
        arguments: { component_id, details: { host: change.host } },
      };
    case 'grant-env':
      return {
        name: 'grant-environment-variable-permission',
        arguments: { component_id, details: { key: change.key } },
      };
    case 'revoke-env':
      return {
        name: 'revoke-environment-variable-permission',
        arguments: { component_id, details: { key: change.key } },
      };
    case 'reset':
      return { name: 'reset-permission', arguments: { component_id } };
    case 'reload':
      return { name: 'load-component', arguments: { path: component.wasmPath } };
    case 'reload-with-policy':
      return {
        name: 'load-component',
        arguments: { path: component.wasmPath, policy_path: component.policyPath },
      };
  }
}
