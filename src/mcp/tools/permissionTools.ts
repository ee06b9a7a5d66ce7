/**
 * The permission tools (wassette's names and shapes): `grant-*-permission`, `revoke-*-permission` for
 * storage, network and environment variables, and `reset-permission`. Each rewrites the component's
 * policy atomically, after every change to that component that arrived before it, and answers once the
 * new policy is on disk and applied, with the resulting permissions.
 */
import type { McpServer } from '@modelcontextprotocol/server';
import type { Json } from '../../runtime/index.ts';
import {
  type GrantGuard,
  grantEnv,
  grantNetwork,
  grantStorage,
  type Policy,
  resetPolicy,
  revokeEnv,
  revokeNetwork,
  revokeStorage,
} from '../../runtime/policy/index.ts';
import { errorToResult } from '../errorResult.ts';
import type { ComponentManager, PolicyChange } from '../types.ts';
import {
  answer,
  componentIdSchema,
  componentOnly,
  object,
  permissionDetails,
  sharedSchema,
} from './schemas.ts';

type Details = { uri?: string; access?: string[]; host?: string; key?: string };
type Change = (policy: Policy, details: Details, guard: GrantGuard) => Policy;

const KINDS = [
  ['storage', 'a directory (fs:// URI) with read and/or write access'],
  ['network', 'outgoing requests to a host'],
  ['environment', 'an environment variable'],
] as const;

const grants: Record<(typeof KINDS)[number][0], Change> = {
  storage: (p, d, guard) => grantStorage(p, d.uri ?? '', d.access ?? [], guard),
  network: (p, d) => grantNetwork(p, d.host ?? ''),
  environment: (p, d) => grantEnv(p, d.key ?? ''),
};

const revokes: Record<(typeof KINDS)[number][0], Change> = {
  storage: (p, d) => revokeStorage(p, d.uri ?? ''),
  network: (p, d) => revokeNetwork(p, d.host ?? ''),
  environment: (p, d) => revokeEnv(p, d.key ?? ''),
};

/**
 * What wassette's answer to the same tool holds besides `component_id`: `status` ("permission granted",
 * "permission revoked", "permissions reset") and, for a grant or revoke, `permission_type` and the
 * `details` as the client sent them; prompts written for wassette read these.
 */
interface WassetteFields {
  status: string;
  permission_type?: string;
  details?: Details;
}

/** The answer to a permission change: the permissions now, and when they apply if not at once. */
function changeAnswer(
  component_id: string,
  { policy, reloadNeeded, memoryReloadNeeded }: PolicyChange,
  wassette: WassetteFields,
) {
  const notes: string[] = [];
  if (reloadNeeded) {
    notes.push(
      'the stateful instance keeps its old permissions until the component is reloaded (load-component again); its state is lost then',
    );
  }
  if (memoryReloadNeeded) {
    notes.push(
      'the memory limit is compiled into the component: the new limit applies once it is reloaded (load-component again)',
    );
  }
  return answer({
    ...(wassette as unknown as Record<string, Json>),
    component_id,
    permissions: policy.permissions as unknown as Json,
    ...(notes.length > 0 ? { note: notes.join('; ') } : {}),
  });
}

/**
 * The handler of one permission tool. Whether the component is loaded is decided by `changePolicy` in
 * the change's turn, not here: a grant that arrives right after a `load-component` of the same id waits
 * for that load, and one queued behind an `unload-component` is refused with `not-loaded`.
 */
function policyChanger(
  server: ComponentManager,
  tool: string,
  change: Change,
  wassette: { status: string; permission_type?: string },
) {
  return async ({ component_id, details }: { component_id: string; details?: Details }) => {
    try {
      return changeAnswer(
        component_id,
        await server.changePolicy(component_id, (p) => change(p, details ?? {}, server.grantGuard)),
        wassette.permission_type === undefined ? wassette : { ...wassette, details: details ?? {} },
      );
    } catch (error) {
      return errorToResult(error, tool);
    }
  };
}

/** Registers the grant, revoke and reset tools on `mcp`. */
export function registerPermissionTools(mcp: McpServer, server: ComponentManager): void {
  for (const [kind, label] of KINDS) {
    const suffix = kind === 'environment' ? 'environment-variable' : kind;
    const details = permissionDetails[kind];
    // As in wassette, revoking storage names only the directory.
    const revokeDetails = kind === 'storage' ? { ...details, required: ['uri'] } : details;
    const required = ['component_id', 'details'];
    mcp.registerTool(
      `grant-${suffix}-permission`,
      {
        description: `Allow a component ${label}. Written to its policy; takes effect on its next instance.`,
        inputSchema: sharedSchema<{ component_id: string }>(
          object({ component_id: componentIdSchema, details }, required),
        ),
      },
      policyChanger(server, `grant-${suffix}-permission`, grants[kind], {
        status: 'permission granted',
        permission_type: kind,
      }),
    );
    mcp.registerTool(
      `revoke-${suffix}-permission`,
      {
        description: `Take back a component's permission for ${label}.`,
        inputSchema: sharedSchema<{ component_id: string }>(
          object({ component_id: componentIdSchema, details: revokeDetails }, required),
        ),
      },
      policyChanger(server, `revoke-${suffix}-permission`, revokes[kind], {
        status: 'permission revoked',
        permission_type: kind,
      }),
    );
  }
  mcp.registerTool(
    'reset-permission',
    {
      description: 'Remove every permission of a component (back to deny-all).',
      inputSchema: sharedSchema<{ component_id: string }>(componentOnly()),
    },
    policyChanger(server, 'reset-permission', (p) => resetPolicy(p), { status: 'permissions reset' }),
  );
}
