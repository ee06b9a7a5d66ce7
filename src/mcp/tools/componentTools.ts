/** The built-in tools that load, unload, list components and show a component's policy. */
import type { McpServer, ServerContext } from '@modelcontextprotocol/server';
import type { Json } from '../../runtime/index.ts';
import { serializePolicy } from '../../runtime/policy/index.ts';
import { errorToResult } from '../errorResult.ts';
import { McpError } from '../McpError.ts';
import type { ComponentManager, LoadReport } from '../types.ts';
import { progressSink } from './progress.ts';
import { answer, componentIdSchema, componentOnly, object, sharedSchema } from './schemas.ts';

/** The error for a tool about a component that is not loaded. */
export function notLoaded(id: string): McpError {
  return new McpError('not-loaded', `No component "${id}" is loaded (see list-components).`);
}

const LOAD_DESCRIPTION =
  'Load a WebAssembly component from a file path, file:// URI, https:// URL (pin it with #sha256=HEX or ' +
  'the sha256 argument) or oci://REGISTRY/REPO:TAG (or @sha256:DIGEST); each exported function becomes a ' +
  'tool. The id is the file name without extension (for oci://, the last segment of the repository); ' +
  'loading an id that is already loaded reloads it with a ' +
  'fresh instance. stateful: true keeps one live instance whose state persists between calls, served ' +
  'one call at a time; stateful: false (default) gives every call a fresh instance. policy_path sets ' +
  "the component's permissions from a policy.yaml; without it a <name>.policy.yaml beside the .wasm " +
  'is used when there is one, else the component keeps its stored policy (deny-all at first).';

function loadAnswer(report: LoadReport) {
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
    source: report.source,
    sha256: report.sha256,
    ...(report.pinned === undefined ? {} : { pinned: report.pinned }),
    fetched: report.fetched,
    ...(report.policyPath === undefined ? {} : { policy: report.policyPath }),
  });
}

function registerLoadTool(mcp: McpServer, server: ComponentManager): void {
  const schema = object(
    {
      path: {
        type: 'string',
        description:
          'Where the component is: a .wasm file path, file:// URI, https://…/name.wasm[#sha256=HEX], or oci://REGISTRY/REPO:TAG | @sha256:DIGEST',
      },
      sha256: {
        type: 'string',
        description:
          'The sha256 the .wasm bytes must have (64 hex digits): a different download is refused and nothing is stored',
      },
      stateful: { type: 'boolean', description: 'Keep one live instance across calls (default false)' },
      policy_path: {
        type: 'string',
        description: 'Path of a policy.yaml (wassette format) with the permissions to give it',
      },
    },
    ['path'],
  );
  mcp.registerTool(
    'load-component',
    {
      description: LOAD_DESCRIPTION,
      inputSchema: sharedSchema<{ path: string; sha256?: string; stateful?: boolean; policy_path?: string }>(
        schema,
      ),
    },
    async ({ path, sha256, stateful, policy_path }, ctx: ServerContext) => {
      try {
        return loadAnswer(
          await server.load({
            source: path,
            sha256,
            stateful: stateful ?? false,
            onProgress: progressSink(ctx),
            policyPath: policy_path,
            signal: ctx.mcpReq.signal,
          }),
        );
      } catch (error) {
        return errorToResult(error, 'load-component', `Cannot load ${path}`);
      }
    },
  );
}

function registerUnloadTool(mcp: McpServer, server: ComponentManager): void {
  mcp.registerTool(
    'unload-component',
    {
      description:
        'Unload a component: its tools are removed, queued calls are rejected and its state is dropped.',
      inputSchema: sharedSchema<{ id: string }>(object({ id: componentIdSchema }, ['id'])),
    },
    async ({ id }) => {
      let unloaded: boolean;
      try {
        unloaded = await server.unloadComponent(id);
      } catch (error) {
        return errorToResult(error, 'unload-component', `Cannot unload ${id}`);
      }
      return unloaded
        ? answer({ status: 'component unloaded', id })
        : errorToResult(notLoaded(id), 'unload-component');
    },
  );
}

function registerListTool(mcp: McpServer, server: ComponentManager): void {
  mcp.registerTool(
    'list-components',
    {
      description:
        'List the loaded components: id, stateful flag, actor state, generation, tools, calls served and failed, queue length, per-agent instances open.',
      inputSchema: sharedSchema<Record<string, never>>(object({}, [])),
    },
    async () => {
      const components = server.listComponents().map((c) => ({
        id: c.id,
        stateful: c.stateful,
        state: c.state,
        generation: c.generation,
        restarts: c.restarts,
        tools: c.tools,
        tools_count: c.tools.length, // wassette's name
        served: c.served,
        failed: c.failed,
        queueLength: c.queueLength,
        inFlight: c.inFlight,
        ...(c.stateful ? { instances: c.instances } : {}),
        ...(c.lastError === undefined ? {} : { lastError: String(c.lastError) }),
      }));
      return answer({ components, total: components.length } as unknown as Json);
    },
  );
}

function registerGetPolicyTool(mcp: McpServer, server: ComponentManager): void {
  mcp.registerTool(
    'get-policy',
    {
      description: "Show a component's permission policy (YAML).",
      inputSchema: sharedSchema<{ component_id: string }>(componentOnly()),
    },
    async ({ component_id }) => {
      try {
        const policy = serializePolicy(await server.policyOf(component_id));
        // `status` as wassette says it; every loaded component has a policy here (deny-all at first)
        return answer({ status: 'policy found', component_id, policy });
      } catch (error) {
        return errorToResult(error, 'get-policy', `Cannot show the policy of ${component_id}`);
      }
    },
  );
}

/** Registers `load-component`, `unload-component`, `list-components` and `get-policy` on `mcp`. */
export function registerComponentTools(mcp: McpServer, server: ComponentManager): void {
  registerLoadTool(mcp, server);
  registerUnloadTool(mcp, server);
  registerListTool(mcp, server);
  registerGetPolicyTool(mcp, server);
}
