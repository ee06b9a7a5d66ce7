/**
 * The built-in tools, with wassette's names and argument shapes (DESIGN.md, "MCP contract"), plus
 * `stateful` on `load-component`. The permission tools rewrite the component's policy atomically and
 * answer with the resulting permissions.
 */
import {
  type CallToolResult,
  fromJsonSchema,
  type McpServer,
  type ServerContext,
} from '@modelcontextprotocol/server';
import type { Json } from '../runtime/index.ts';
import {
  grantEnv,
  grantNetwork,
  grantStorage,
  type Policy,
  resetPolicy,
  revokeEnv,
  revokeNetwork,
  revokeStorage,
  serializePolicy,
} from '../runtime/policy/index.ts';
import { failureMessage, loadFailureMessage } from './callResult.ts';
import { progressSink, type WasmactorServer } from './WasmactorServer.ts';

type Schema = Parameters<typeof fromJsonSchema>[0];

const componentId = { type: 'string', description: 'Id of a loaded component (see list-components)' };

function object(properties: Record<string, unknown>, required: string[]): Schema {
  return { type: 'object', properties, required, additionalProperties: false } as Schema;
}

const details = {
  storage: {
    type: 'object',
    properties: {
      uri: { type: 'string', description: 'Directory as a URI, for example fs:///home/me/data' },
      access: { type: 'array', items: { type: 'string', enum: ['read', 'write'] }, minItems: 1 },
    },
    required: ['uri', 'access'],
    additionalProperties: false,
  },
  network: {
    type: 'object',
    properties: { host: { type: 'string', description: 'Host name (api.example.com) or host:port' } },
    required: ['host'],
    additionalProperties: false,
  },
  environment: {
    type: 'object',
    properties: { key: { type: 'string', description: 'Name of the environment variable' } },
    required: ['key'],
    additionalProperties: false,
  },
};

/** A JSON answer: the value as text, and as `structuredContent` when it is an object. */
function answer(value: Json): CallToolResult {
  const result: CallToolResult = { content: [{ type: 'text', text: JSON.stringify(value, null, 2) }] };
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) result.structuredContent = value;
  return result;
}

function failure(message: string): CallToolResult {
  return { content: [{ type: 'text', text: message }], isError: true };
}

/** Registers every built-in tool on `mcp`. */
export function registerBuiltinTools(mcp: McpServer, server: WasmactorServer): void {
  const isLoaded = (id: string) => server.listComponents().some((c) => c.id === id);

  mcp.registerTool(
    'load-component',
    {
      description:
        'Load a WebAssembly component from a file path or file:// URI; each exported function becomes a tool. ' +
        'The id is the file name without extension; loading an id that is already loaded reloads it with a ' +
        'fresh instance. stateful: true keeps one live instance whose state persists between calls, served ' +
        'one call at a time; stateful: false (default) gives every call a fresh instance. policy_path sets ' +
        "the component's permissions from a policy.yaml; without it a <name>.policy.yaml beside the .wasm " +
        'is used when there is one, else the component keeps its stored policy (deny-all at first).',
      inputSchema: fromJsonSchema<{ path: string; stateful?: boolean; policy_path?: string }>(
        object(
          {
            path: { type: 'string', description: 'Path of the .wasm component, or a file:// URI' },
            stateful: { type: 'boolean', description: 'Keep one live instance across calls (default false)' },
            policy_path: {
              type: 'string',
              description: 'Path of a policy.yaml (wassette format) with the permissions to give it',
            },
          },
          ['path'],
        ),
      ),
    },
    async ({ path, stateful, policy_path }, ctx: ServerContext) => {
      try {
        const report = await server.loadComponent(path, stateful ?? false, progressSink(ctx), policy_path);
        return answer({
          status: report.reloaded ? 'component reloaded' : 'component loaded',
          id: report.id,
          stateful: report.stateful,
          generation: report.generation,
          reloaded: report.reloaded,
          message: report.reloaded
            ? `Reloaded component ${report.id} with a fresh instance: no state was kept.`
            : `Loaded component ${report.id} (${report.stateful ? 'stateful' : 'stateless'}).`,
          tools: report.tools.map((t) => t.name),
          ...(report.policyPath === undefined ? {} : { policy: report.policyPath }),
        });
      } catch (error) {
        return failure(loadFailureMessage(path, error));
      }
    },
  );

  mcp.registerTool(
    'unload-component',
    {
      description:
        'Unload a component: its tools are removed, queued calls are rejected and its state is dropped.',
      inputSchema: fromJsonSchema<{ id: string }>(object({ id: componentId }, ['id'])),
    },
    async ({ id }) => {
      try {
        if (!(await server.unloadComponent(id))) {
          return failure(`No component "${id}" is loaded (see list-components).`);
        }
        return answer({ status: 'component unloaded', id });
      } catch (error) {
        return failure(`Cannot unload ${id}: ${failureMessage('unload-component', error)}`);
      }
    },
  );

  mcp.registerTool(
    'list-components',
    {
      description:
        'List the loaded components: id, stateful flag, actor state, generation, tools, calls served and failed, queue length.',
      inputSchema: fromJsonSchema<Record<string, never>>(object({}, [])),
    },
    async () => {
      const components = server.listComponents().map((c) => ({
        id: c.id,
        stateful: c.stateful,
        state: c.state,
        generation: c.generation,
        restarts: c.restarts,
        tools: c.tools,
        served: c.served,
        failed: c.failed,
        queueLength: c.queueLength,
        inFlight: c.inFlight,
        ...(c.lastError === undefined ? {} : { lastError: String(c.lastError) }),
      }));
      return answer({ components, total: components.length } as unknown as Json);
    },
  );

  mcp.registerTool(
    'get-policy',
    {
      description: "Show a component's permission policy (YAML).",
      inputSchema: fromJsonSchema<{ component_id: string }>(
        object({ component_id: componentId }, ['component_id']),
      ),
    },
    async ({ component_id }) => {
      if (!isLoaded(component_id))
        return failure(`No component "${component_id}" is loaded (see list-components).`);
      try {
        return answer({ component_id, policy: serializePolicy(await server.policyOf(component_id)) });
      } catch (error) {
        return failure(`Cannot show the policy of ${component_id}: ${failureMessage('get-policy', error)}`);
      }
    },
  );

  type Details = { uri?: string; access?: string[]; host?: string; key?: string };
  const changePolicy =
    (tool: string, change: (policy: Policy, details: Details) => Policy) =>
    async ({ component_id, details: given }: { component_id: string; details?: Details }) => {
      if (!isLoaded(component_id))
        return failure(`No component "${component_id}" is loaded (see list-components).`);
      try {
        const { policy, reloadNeeded, memoryReloadNeeded } = await server.changePolicy(component_id, (p) =>
          change(p, given ?? {}),
        );
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
          component_id,
          permissions: policy.permissions as unknown as Json,
          ...(notes.length > 0 ? { note: notes.join('; ') } : {}),
        });
      } catch (error) {
        return failure(failureMessage(tool, error));
      }
    };
  const grants = {
    storage: (p: Policy, d: Details) => grantStorage(p, d.uri ?? '', d.access ?? []),
    network: (p: Policy, d: Details) => grantNetwork(p, d.host ?? ''),
    environment: (p: Policy, d: Details) => grantEnv(p, d.key ?? ''),
  };
  const revokes = {
    storage: (p: Policy, d: Details) => revokeStorage(p, d.uri ?? ''),
    network: (p: Policy, d: Details) => revokeNetwork(p, d.host ?? ''),
    environment: (p: Policy, d: Details) => revokeEnv(p, d.key ?? ''),
  };

  for (const [kind, label] of [
    ['storage', 'a directory (fs:// URI) with read and/or write access'],
    ['network', 'outgoing requests to a host'],
    ['environment', 'an environment variable'],
  ] as const) {
    const suffix = kind === 'environment' ? 'environment-variable' : kind;
    const schema = object({ component_id: componentId, details: details[kind] }, ['component_id', 'details']);
    // As in wassette, revoking storage names only the directory.
    const revokeDetails = kind === 'storage' ? { ...details.storage, required: ['uri'] } : details[kind];
    const revokeSchema = object({ component_id: componentId, details: revokeDetails }, [
      'component_id',
      'details',
    ]);
    mcp.registerTool(
      `grant-${suffix}-permission`,
      {
        description: `Allow a component ${label}. Written to its policy; takes effect on its next instance.`,
        inputSchema: fromJsonSchema<{ component_id: string }>(schema),
      },
      changePolicy(`grant-${suffix}-permission`, grants[kind]),
    );
    mcp.registerTool(
      `revoke-${suffix}-permission`,
      {
        description: `Take back a component's permission for ${label}.`,
        inputSchema: fromJsonSchema<{ component_id: string }>(revokeSchema),
      },
      changePolicy(`revoke-${suffix}-permission`, revokes[kind]),
    );
  }

  mcp.registerTool(
    'reset-permission',
    {
      description: 'Remove every permission of a component (back to deny-all).',
      inputSchema: fromJsonSchema<{ component_id: string }>(
        object({ component_id: componentId }, ['component_id']),
      ),
    },
    changePolicy('reset-permission', (p) => resetPolicy(p)),
  );
}

/** `echo {value: string}` -> the same value, the same result shape as a component tool (benchmark floor). */
export function registerEchoTool(mcp: McpServer): void {
  const schema = object({ value: { type: 'string' } }, ['value']);
  mcp.registerTool(
    'echo',
    {
      description: 'Returns its argument (a floor for benchmarks; enabled with --echo-tool).',
      inputSchema: fromJsonSchema<{ value: string }>(schema),
      outputSchema: fromJsonSchema<{ result: string }>(object({ result: { type: 'string' } }, ['result'])),
    },
    async ({ value }) => ({
      content: [{ type: 'text', text: JSON.stringify(value) }],
      structuredContent: { result: value },
    }),
  );
}
