/**
 * The policies of the components and the sandboxes they make: read from the component directory (or
 * kept in memory without one), read from a policy file on `load-component`, changed by the permission
 * tools. A sandbox is a policy plus the `--env` values and the component's own secrets.
 */
import { readFile } from 'node:fs/promises';
import { basename, dirname, extname, join } from 'node:path';
import type { ComponentHost } from '../../machines/index.ts';
import type { SandboxSpec } from '../../runtime/index.ts';
import {
  loadSecrets,
  type Policy,
  parsePolicy,
  policyToSandbox,
  serializePolicy,
} from '../../runtime/policy/index.ts';
import type { ComponentStore } from '../ComponentStore.ts';
import { type FileKind, resolveFileArgument } from '../componentPath.ts';
import { McpError } from '../McpError.ts';
import type { PolicyChange } from '../types.ts';

/** `/x/time-server.wasm` -> `/x/time-server.policy.yaml`: the policy used when none is given. */
export function sidecarPolicyPath(wasmPath: string): string {
  return join(dirname(wasmPath), `${basename(wasmPath, extname(wasmPath))}.policy.yaml`);
}

/** The policy of a component nothing was granted to. */
function denyAllPolicy(): Policy {
  return { version: '1.0', permissions: {} };
}

const POLICY_FILE: FileKind = { argument: 'policy_path', file: 'policy file', things: 'policy files' };

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Where the policies are, and what the sandboxes may be given besides them. */
export interface PolicyBookOptions {
  host: ComponentHost;
  store: ComponentStore | undefined;
  /** `--env` values that a policy may grant. */
  availableEnv: Record<string, string>;
  /** Directory of the secrets files (default: the user's config directory). */
  secretsDir?: string;
}

/** The policies of the components (see the module comment). */
export class PolicyBook {
  /** Policies of components when there is no component directory to keep them in. */
  private readonly policies = new Map<string, Policy>();

  constructor(private readonly options: PolicyBookOptions) {}

  /**
   * The component's policy (deny-all when nothing was ever granted). A policy file that exists but
   * cannot be read throws `policy-unreadable`, and one that is not valid `invalid-policy`: neither is
   * taken for deny-all, so a grant never overwrites a policy it could not read.
   */
  async policyOf(id: string): Promise<Policy> {
    const { store } = this.options;
    if (!store) return this.policies.get(id) ?? denyAllPolicy();
    let text: string;
    try {
      text = await store.policy(id);
    } catch (cause) {
      if ((cause as NodeJS.ErrnoException).code === 'ENOENT') return denyAllPolicy();
      throw new McpError('policy-unreadable', `cannot read the policy file of ${id}: ${messageOf(cause)}`, {
        cause,
      });
    }
    return parsePolicy(text, `${id}/policy.yaml`);
  }

  /**
   * Reads and validates a policy file for `load-component`: `policyPath` when given (it must exist),
   * else `<name>.policy.yaml` beside the component when there is one, else undefined (the component
   * keeps its stored policy). A bad file throws `invalid-policy` naming the file, line and field.
   */
  async forLoad(
    wasmPath: string,
    policyPath: string | undefined,
  ): Promise<{ path: string; policy: Policy } | undefined> {
    const path =
      policyPath === undefined ? sidecarPolicyPath(wasmPath) : resolveFileArgument(policyPath, POLICY_FILE);
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (cause) {
      if (policyPath === undefined && (cause as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw new McpError('policy-unreadable', `cannot read policy file ${path}: ${messageOf(cause)}`, {
        cause,
      });
    }
    return { path, policy: parsePolicy(text, path) };
  }

  /** The sandbox a component gets from its policy, `--env` values and its own secrets. */
  async sandboxFor(id: string): Promise<SandboxSpec> {
    return this.sandboxOf(id, await this.policyOf(id));
  }

  /** The sandbox `policy` gives component `id` (with `--env` values and the component's secrets). */
  async sandboxOf(id: string, policy: Policy): Promise<SandboxSpec> {
    const secrets = await this.secretsOf(id);
    return policyToSandbox(policy, { envValues: this.options.availableEnv, hostEnv: process.env, secrets });
  }

  /**
   * The component's secrets. A secrets file that cannot be read or is not KEY: value stops whatever
   * needed them with `secrets-unreadable` naming the file: running without them would hide the mistake.
   */
  private async secretsOf(id: string): Promise<Record<string, string>> {
    const dir = this.options.secretsDir;
    try {
      return await loadSecrets(id, dir === undefined ? {} : { dir });
    } catch (cause) {
      throw new McpError(
        'secrets-unreadable',
        `${messageOf(cause)}; fix the file (a YAML mapping of KEY: value) or delete it, then try again`,
        { cause },
      );
    }
  }

  /** Keeps the policy a component was loaded with when there is no component directory. */
  remember(id: string, policy: Policy): void {
    if (!this.options.store) this.policies.set(id, policy);
  }

  /** Drops what `remember` kept. */
  forget(id: string): void {
    this.policies.delete(id);
  }

  /**
   * Applies `change` to a component's policy: the new policy is validated (the change throws
   * `invalid-policy` otherwise, and the old policy stays), persisted atomically beside the component,
   * and becomes the component's sandbox. Stateful components pick it up at their next reload; a
   * changed memory limit is compiled into the component, so it too needs a reload (`memoryReloadNeeded`).
   */
  async change(id: string, change: (policy: Policy) => Policy): Promise<PolicyChange> {
    const before = await this.policyOf(id);
    const policy = change(before);
    const sandbox = await this.sandboxOf(id, policy);
    const { store } = this.options;
    if (store) {
      const stored = await store.get(id);
      try {
        await store.save(stored.metadata, { fromPath: stored.wasmPath }, serializePolicy(policy));
      } catch (cause) {
        throw new McpError(
          'store-failed',
          `cannot save the new policy of ${id} to ${store.dir} (${messageOf(cause)}); the old policy stays`,
          { cause },
        );
      }
    } else {
      this.policies.set(id, policy);
    }
    const memoryReloadNeeded =
      before.permissions.resources?.limits.memory !== policy.permissions.resources?.limits.memory;
    const { reloadNeeded } = this.options.host.updateSandbox(id, sandbox);
    return { policy, reloadNeeded, memoryReloadNeeded };
  }
}
