/**
 * `wasmactor component load|unload|list`: works on the component directory without a server. A running
 * server sees the change on its next start.
 */
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { readComponentTypes, sha256, toolDefinitions } from '../../runtime/index.ts';
import { parsePolicy, serializePolicy } from '../../runtime/policy/index.ts';
import { ComponentStore, defaultComponentDir, type StoredComponent } from '../ComponentStore.ts';
import { resolveComponentPath } from '../componentPath.ts';
import { McpError } from '../McpError.ts';
import { sidecarPolicyPath } from '../server/index.ts';
import type { CommandIo } from './CommandIo.ts';
import { fail, out, parseCommand } from './commandArgs.ts';

export const componentUsage = `Usage: wasmactor component <load|unload|list|sync> [options]

Manages the component directory that \`wasmactor serve\` restores on start, without a server.

  wasmactor component load <path|file://uri> [--stateful]   add or replace a component (id = file stem);
                                                            <name>.policy.yaml beside it is its policy
  wasmactor component unload <id>                           delete a component and its policy
  wasmactor component list [--json]                         show the stored components
  wasmactor component push <file> oci://REGISTRY/REPO:TAG   publish a component (see: component push --help)
  wasmactor component sync --manifest FILE                  make it match a manifest (see: component sync -h)

Options:
  --component-dir DIR   the component directory (default $XDG_DATA_HOME/wasmactor/components)
  --stateful            load: keep one live instance across calls when served
  --json                list: print JSON instead of a table
  -h, --help            show this help
`;

const OPTIONS = {
  'component-dir': { type: 'string' },
  stateful: { type: 'boolean', default: false },
  json: { type: 'boolean', default: false },
} as const;

const NAME = 'component';

async function load(
  io: CommandIo,
  store: ComponentStore,
  rest: string[],
  stateful: boolean,
): Promise<number> {
  if (rest.length !== 1) return fail(io, NAME, 'load takes exactly one component path');
  const location = resolveComponentPath(rest[0] as string);
  const { bytes, types } = await readComponentTypes({ path: location.path });
  const tools = toolDefinitions(types);
  // `<name>.policy.yaml` beside the .wasm, read and validated exactly as load-component reads it.
  const sidecar = sidecarPolicyPath(location.path);
  const policyText = await readFile(sidecar, 'utf8').catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return undefined;
    throw new McpError('policy-unreadable', `cannot read policy file ${sidecar}: ${error.message}`);
  });
  const policy = policyText === undefined ? undefined : serializePolicy(parsePolicy(policyText, sidecar));
  await store.save(
    {
      version: 1,
      id: location.id,
      source: location.path,
      sha256: sha256(bytes),
      stateful,
      tools,
      loadedAt: new Date().toISOString(),
    },
    bytes,
    policy,
  );
  const names = tools.map((t) => t.name).join(', ');
  const withPolicy = policy === undefined ? '' : ` with the policy ${sidecar}`;
  out(
    io,
    `stored ${location.id} (${stateful ? 'stateful' : 'stateless'}) in ${store.dir}${withPolicy}: ${names}`,
  );
  return 0;
}

async function unload(io: CommandIo, store: ComponentStore, rest: string[]): Promise<number> {
  if (rest.length !== 1) return fail(io, NAME, 'unload takes exactly one component id');
  const id = rest[0] as string;
  // Not a usage error: the line is right, the directory has no such component (exit 1).
  if (!(await store.remove(id))) return fail(io, `${NAME} unload`, `no component "${id}" in ${store.dir}`, 1);
  out(io, `removed ${id} from ${store.dir}`);
  return 0;
}

function listJson(components: StoredComponent[]): string {
  const rows = components.map(({ metadata, wasmPath }) => ({
    id: metadata.id,
    stateful: metadata.stateful,
    source: metadata.source,
    sha256: metadata.sha256,
    tools: metadata.tools.map((t) => t.name),
    loadedAt: metadata.loadedAt,
    path: wasmPath,
  }));
  return JSON.stringify(rows, null, 2);
}

async function list(io: CommandIo, store: ComponentStore, rest: string[], json: boolean): Promise<number> {
  if (rest.length !== 0) return fail(io, NAME, 'list takes no arguments');
  const { components, problems } = await store.list();
  for (const problem of problems) io.stderr.write(`wasmactor: skipping ${problem.id}: ${problem.message}\n`);
  if (json) {
    out(io, listJson(components));
  } else if (components.length === 0) {
    out(io, `no components in ${store.dir}`);
  } else {
    for (const { metadata } of components) {
      const kind = metadata.stateful ? 'stateful' : 'stateless';
      out(io, `${metadata.id}\t${kind}\t${metadata.tools.map((t) => t.name).join(', ')}`);
    }
  }
  return 0;
}

/** Runs `wasmactor component ...`; resolves to the exit code. */
export async function componentCommand(args: string[], io: CommandIo): Promise<number> {
  if (args[0] === 'push') return (await import('./pushCommand.ts')).pushCommand(args.slice(1), io);
  // `sync` has its own flags (--manifest...): it is parsed by its own module.
  if (args[0] === 'sync') return (await import('./syncCommand.ts')).syncCommand(args.slice(1), io);
  const parsed = parseCommand({ name: NAME, usage: componentUsage, options: OPTIONS }, args, io);
  if (typeof parsed === 'number') return parsed;
  const { values, positionals } = parsed;
  const [action, ...rest] = positionals;
  if (action === undefined) return fail(io, NAME, `missing action\n\n${componentUsage}`);
  if (action !== 'load' && action !== 'unload' && action !== 'list') {
    return fail(io, NAME, `unknown action "${action}"\n\n${componentUsage}`);
  }
  const store = await ComponentStore.open(resolve(values['component-dir'] ?? defaultComponentDir()));
  if (action === 'load') return load(io, store, rest, values.stateful);
  if (action === 'unload') return unload(io, store, rest);
  return list(io, store, rest, values.json);
}
