/**
 * The policies of the components and the sandboxes they make: read from the component directory (or
 * kept in memory without one), read from a policy file on `load-component`, changed by the permission
 * tools. A sandbox is a policy plus the `--env` values and the component's own secrets.
 *
 * Every change to one component — a grant, revoke or reset, a load or reload, an unload — runs through
 * `serialize(id)`: read the policy, compute the new one, persist it, apply it to the host, answer, as one
 * unit, in the order the requests arrived; changes to different components run in parallel. Without it
 * two changes read the same policy and the later write silently drops the earlier one (an acknowledged
 * revoke came back with a concurrent grant), and two writes of one entry of the component directory
 * collide on its renames (`ENOENT`/`ENOTEMPTY`).
 *
 * Why a queue here and not in the component actor: the actor owns the instance and its calls, but the
 * policy file and the component directory belong to this layer (the machines know nothing of them), and
 * a unit must span both the write to disk and the sandbox handed to the actor. A per-id promise chain is
 * the smallest owner of that sequence; it holds nothing for ids with no change in flight.
 */
import { basename, dirname, extname, join } from 'node:path';
import type { ComponentHost } from '../../machines/index.ts';
import { RuntimeError, type SandboxSpec } from '../../runtime/index.ts';
import {
  type GrantGuard,
  loadSecrets,
  type Policy,
  parsePolicy,
  policyToSandbox,
  readPolicyFile,
  serializePolicy,
} from '../../runtime/policy/index.ts';
import type { ComponentStore } from '../ComponentStore.ts';
import { type FileKind, resolveFileArgument } from '../componentPath.ts';
import { McpError } from '../McpError.ts';
import type { PolicyChange } from '../types.ts';
import { KeyedQueue } from './KeyedQueue.ts';

/** `/x/time-server.wasm` -> `/x/time-server.policy.yaml`: the policy used when none is given. */
export function sidecarPolicyPath(wasmPath: string): string {
  return join(dirname(wasmPath), `${basename(wasmPath, extname(wasmPath))}.policy.yaml`);
}

/** The policy of a component nothing was granted to. */
function denyAllPolicy(): Policy {
  return { version: '1.0', permissions: {} };
}

const POLICY_FILE: FileKind = {
  argument: 'policy_path',
  file: 'policy file',
  remote:
    'a policy grants permissions, so it is never downloaded; save it where you can review it and give its path',
};

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
  /** Which storage grants are too broad (`/`, `/proc`, the server's own directories, home...). */
  guard?: GrantGuard;
}

/** The policies of the components (see the module comment). */
export class PolicyBook {
  /** Policies of components when there is no component directory to keep them in. */
  private readonly policies = new Map<string, Policy>();
  /** The changes in flight, one FIFO per component id (see the module comment). */
  private readonly changes = new KeyedQueue();

  constructor(private readonly options: PolicyBookOptions) {}

  /** Which storage grants are too broad for this server (see `GrantGuard`). */
  get guard(): GrantGuard {
    return this.options.guard ?? {};
  }

  /**
   * Runs `work` as the only change to component `id` in flight: after every change to it that was
   * queued before, and before any queued after. `work` must not call the queued methods of this book
   * for the same id (`policyOf`, `change`): it would wait for itself.
   */
  serialize<T>(id: string, work: () => Promise<T>): Promise<T> {
    return this.changes.run(id, work);
  }

  /** How many components have a change queued or running (0 once all have settled). */
  get changesInFlight(): number {
    return this.changes.size;
  }

  /**
   * The component's policy once every change to it that arrived before has been made (and written);
   * throws `not-loaded` when it is not loaded by then. See `readPolicy` for the errors.
   */
  policyOf(id: string): Promise<Policy> {
    return this.serialize(id, async () => {
      this.checkLoaded(id);
      return this.readPolicy(id);
    });
  }

  /**
   * The component's policy as stored now (deny-all when nothing was ever granted), without waiting for
   * changes in flight: for use inside `serialize(id)`. A policy file that exists but cannot be read
   * throws `policy-unreadable`, and one that is not valid `invalid-policy`: neither is taken for
   * deny-all, so a grant never overwrites a policy it could not read.
   */
  async readPolicy(id: string): Promise<Policy> {
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
    return parsePolicy(text, `${id}/policy.yaml`, this.guard);
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
    try {
      // Bounded: only a regular file of at most 1 MiB (a FIFO or /dev/zero as policy_path never blocks).
      return { path, policy: await readPolicyFile(path, this.guard) };
    } catch (cause) {
      if (cause instanceof RuntimeError && cause.code !== 'not-found') throw cause;
      const errno =
        cause instanceof RuntimeError ? (cause.cause as NodeJS.ErrnoException | undefined) : undefined;
      if (policyPath === undefined && errno?.code === 'ENOENT') return undefined;
      throw new McpError('policy-unreadable', messageOf(cause), { cause });
    }
  }

  /**
   * The sandbox a component gets from its stored policy, `--env` values and its own secrets; does not
   * wait for changes in flight (call it inside `serialize(id)`, or before requests are served).
   */
  async sandboxFor(id: string): Promise<SandboxSpec> {
    return this.sandboxOf(id, await this.readPolicy(id));
  }

  /** The sandbox `policy` gives component `id` (with `--env` values and the component's secrets). */
  async sandboxOf(id: string, policy: Policy): Promise<SandboxSpec> {
    const secrets = await this.secretsOf(id);
    return policyToSandbox(policy, {
      envValues: this.options.availableEnv,
      hostEnv: process.env,
      secrets,
      guard: this.guard,
    });
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

  /** Throws `not-loaded` unless component `id` is loaded (or loading). */
  private checkLoaded(id: string): void {
    if (!this.options.host.list().some((c) => c.id === id)) {
      throw new McpError('not-loaded', `No component "${id}" is loaded (see list-components).`);
    }
  }

  /**
   * Applies `change` to a component's policy, after every change to it that arrived before (see
   * `serialize`): the new policy is validated (the change throws `invalid-policy` otherwise, and the old
   * policy stays), persisted atomically and durably beside the component, and becomes the component's
   * sandbox; it resolves only then. Throws `not-loaded` when the component is not loaded by its turn.
   * Stateful components pick the sandbox up at their next reload; a changed memory limit is compiled
   * into the component, so it too needs a reload (`memoryReloadNeeded`).
   */
  change(id: string, change: (policy: Policy) => Policy): Promise<PolicyChange> {
    return this.serialize(id, () => this.changeNow(id, change));
  }

  /** `change` once it is this change's turn. */
  private async changeNow(id: string, change: (policy: Policy) => Policy): Promise<PolicyChange> {
    this.checkLoaded(id);
    const before = await this.readPolicy(id);
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
