/**
 * `wasmactor secret set|list|delete <component> ...`: per-component secrets, kept in the config
 * directory (see runtime/secrets.ts). A component sees its own secrets as environment variables, from
 * its next load (or permission change) on. No command ever prints a value.
 */
import { parseArgs } from 'node:util';
import { RuntimeError } from '../runtime/index.ts';
import { deleteSecrets, listSecretKeys, setSecrets } from '../runtime/policy/index.ts';
import type { CommandIo } from './CommandIo.ts';

export const secretUsage = `Usage: wasmactor secret <set|list|delete> <component> [KEY=VALUE | KEY]...

Per-component secrets: the component sees them as environment variables (only that component, and only
its own); they live in $XDG_CONFIG_HOME/wasmactor/secrets/<component>.yaml (mode 0600). A running server
gives a component new secrets from its next load or permission change.

  wasmactor secret set <component> KEY=VALUE...   add or replace secrets
  wasmactor secret set <component> KEY            read the value of KEY from stdin (keeps it out of
                                                  the shell history and the process list)
  wasmactor secret list <component>               print the keys, one per line (never the values)
  wasmactor secret delete <component> [KEY...]    delete these keys (all of the component's without keys)

Options:
  --secrets-dir DIR   where the secrets files are (default $XDG_CONFIG_HOME/wasmactor/secrets)
  -h, --help          show this help
`;

function fail(message: string): number {
  process.stderr.write(`wasmactor secret: ${message}\n`);
  return 2;
}

async function readStdin(stdin: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks)
    .toString('utf8')
    .replace(/\r?\n$/, '');
}

/** Runs `wasmactor secret ...`; resolves to the exit code. */
export async function secretCommand(args: string[], io: CommandIo): Promise<number> {
  const out = (text: string) => void io.stdout.write(`${text}\n`);
  let parsed: ReturnType<typeof parseSecretArgs>;
  try {
    parsed = parseSecretArgs(args);
  } catch (error) {
    return fail(`${(error as Error).message}\n\n${secretUsage}`);
  }
  const { values, positionals } = parsed;
  if (values.help) {
    out(secretUsage);
    return 0;
  }
  const [action, component, ...rest] = positionals;
  if (action === undefined) return fail(`missing action\n\n${secretUsage}`);
  if (component === undefined) return fail(`${action}: missing the component id`);
  const options = values['secrets-dir'] === undefined ? {} : { dir: values['secrets-dir'] };
  try {
    switch (action) {
      case 'set': {
        if (rest.length === 0) return fail('set: give at least one KEY=VALUE');
        const secrets: Record<string, string> = {};
        for (const pair of rest) {
          const at = pair.indexOf('=');
          if (at === -1) {
            if (rest.length !== 1)
              return fail(`set: "${pair}" has no "="; a value from stdin is for one key only`);
            secrets[pair] = await readStdin(io.stdin);
          } else {
            secrets[pair.slice(0, at)] = pair.slice(at + 1);
          }
        }
        await setSecrets(component, secrets, options);
        out(`set ${Object.keys(secrets).sort().join(', ')} for ${component}`);
        return 0;
      }
      case 'list': {
        if (rest.length !== 0) return fail('list takes only the component id');
        for (const key of await listSecretKeys(component, options)) out(key);
        return 0;
      }
      case 'delete': {
        const removed = await deleteSecrets(component, rest.length === 0 ? undefined : rest, options);
        const missing = rest.filter((key) => !removed.includes(key));
        if (missing.length > 0) {
          process.stderr.write(`wasmactor secret: ${component} has no secret ${missing.join(', ')}\n`);
        }
        out(
          removed.length === 0
            ? `nothing deleted for ${component}`
            : `deleted ${removed.join(', ')} for ${component}`,
        );
        return missing.length > 0 ? 1 : 0;
      }
      default:
        return fail(`unknown action "${action}"\n\n${secretUsage}`);
    }
  } catch (error) {
    if (error instanceof RuntimeError) return fail(error.message);
    throw error;
  }
}

function parseSecretArgs(args: string[]) {
  return parseArgs({
    args,
    allowPositionals: true,
    options: {
      help: { type: 'boolean', short: 'h' },
      'secrets-dir': { type: 'string' },
    },
  });
}
