/**
 * `wasmactor component load|unload|list`: works on the component directory without a server. A running
 * server sees the change on its next start.
 */
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { readComponentTypes, sha256, toolDefinitions } from '../runtime/index.ts';
import type { CommandIo } from './CommandIo.ts';
import { ComponentStore, defaultComponentDir } from './ComponentStore.ts';
import { resolveComponentPath } from './componentPath.ts';

export const componentUsage = `Usage: wasmactor component <load|unload|list> [options]

Manages the component directory that \`wasmactor serve\` restores on start, without a server.

  wasmactor component load <path|file://uri> [--stateful]   add or replace a component (id = file stem)
  wasmactor component unload <id>                           delete a component and its policy
  wasmactor component list [--json]                         show the stored components

Options:
  --component-dir DIR   the component directory (default $XDG_DATA_HOME/wasmactor/components)
  --stateful            load: keep one live instance across calls when served
  --json                list: print JSON instead of a table
  -h, --help            show this help
`;

function fail(message: string): number {
  process.stderr.write(`wasmactor component: ${message}\n`);
  return 2;
}

/** Runs `wasmactor component ...`; resolves to the exit code. */
export async function componentCommand(args: string[], io: CommandIo): Promise<number> {
  const out = (text: string) => void io.stdout.write(`${text}\n`);
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      help: { type: 'boolean', short: 'h' },
      'component-dir': { type: 'string' },
      stateful: { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
    },
  });
  const [action, ...rest] = positionals;
  if (values.help) {
    out(componentUsage);
    return 0;
  }
  if (action === undefined) return fail(`missing action\n\n${componentUsage}`);
  const store = await ComponentStore.open(resolve(values['component-dir'] ?? defaultComponentDir()));

  switch (action) {
    case 'load': {
      if (rest.length !== 1) return fail('load takes exactly one component path');
      let location: ReturnType<typeof resolveComponentPath>;
      try {
        location = resolveComponentPath(rest[0] as string);
      } catch (error) {
        return fail((error as Error).message);
      }
      const { bytes, types } = await readComponentTypes({ path: location.path });
      const tools = toolDefinitions(types);
      await store.save(
        {
          version: 1,
          id: location.id,
          source: location.path,
          sha256: sha256(bytes),
          stateful: values.stateful,
          tools,
          loadedAt: new Date().toISOString(),
        },
        bytes,
      );
      out(
        `stored ${location.id} (${values.stateful ? 'stateful' : 'stateless'}) in ${store.dir}: ${tools.map((t) => t.name).join(', ')}`,
      );
      return 0;
    }
    case 'unload': {
      if (rest.length !== 1) return fail('unload takes exactly one component id');
      const id = rest[0] as string;
      let removed: boolean;
      try {
        removed = await store.remove(id);
      } catch (error) {
        return fail((error as Error).message);
      }
      if (!removed) return fail(`no component "${id}" in ${store.dir}`);
      out(`removed ${id} from ${store.dir}`);
      return 0;
    }
    case 'list': {
      if (rest.length !== 0) return fail('list takes no arguments');
      const { components, problems } = await store.list();
      for (const problem of problems)
        process.stderr.write(`wasmactor: skipping ${problem.id}: ${problem.message}\n`);
      if (values.json) {
        out(
          JSON.stringify(
            components.map(({ metadata, wasmPath }) => ({
              id: metadata.id,
              stateful: metadata.stateful,
              source: metadata.source,
              sha256: metadata.sha256,
              tools: metadata.tools.map((t) => t.name),
              loadedAt: metadata.loadedAt,
              path: wasmPath,
            })),
            null,
            2,
          ),
        );
      } else if (components.length === 0) {
        out(`no components in ${store.dir}`);
      } else {
        for (const { metadata } of components) {
          out(
            `${metadata.id}\t${metadata.stateful ? 'stateful' : 'stateless'}\t${metadata.tools.map((t) => t.name).join(', ')}`,
          );
        }
      }
      return 0;
    }
    default:
      return fail(`unknown action "${action}"\n\n${componentUsage}`);
  }
}
