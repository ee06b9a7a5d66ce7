/**
 * `wasmactor secret set|list|delete <component> ...`: per-component secrets, kept in the config
 * directory (see runtime/policy/secrets.ts). A component sees its own secrets as environment variables,
 * from its next load (or permission change) on. No command ever prints a value.
 */
import { deleteSecrets, listSecretKeys, setSecrets } from '../../runtime/policy/index.ts';
import type { CommandIo } from './CommandIo.ts';
import { fail, out, parseCommand } from './commandArgs.ts';

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

const NAME = 'secret';

/** Where the secrets files are, as the policy functions take it. */
type Where = { dir?: string };

async function readStdin(stdin: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks)
    .toString('utf8')
    .replace(/\r?\n$/, '');
}

async function set(io: CommandIo, component: string, pairs: string[], where: Where): Promise<number> {
  if (pairs.length === 0) return fail(io, NAME, 'set: give at least one KEY=VALUE');
  const secrets: Record<string, string> = {};
  for (const pair of pairs) {
    const at = pair.indexOf('=');
    if (at !== -1) {
      secrets[pair.slice(0, at)] = pair.slice(at + 1);
    } else if (pairs.length === 1) {
      secrets[pair] = await readStdin(io.stdin);
    } else {
      return fail(io, NAME, `set: "${pair}" has no "="; a value from stdin is for one key only`);
    }
  }
  await setSecrets(component, secrets, where);
  out(io, `set ${Object.keys(secrets).sort().join(', ')} for ${component}`);
  return 0;
}

async function list(io: CommandIo, component: string, rest: string[], where: Where): Promise<number> {
  if (rest.length !== 0) return fail(io, NAME, 'list takes only the component id');
  for (const key of await listSecretKeys(component, where)) out(io, key);
  return 0;
}

async function remove(io: CommandIo, component: string, keys: string[], where: Where): Promise<number> {
  const removed = await deleteSecrets(component, keys.length === 0 ? undefined : keys, where);
  const missing = keys.filter((key) => !removed.includes(key));
  if (missing.length > 0) {
    io.stderr.write(`wasmactor secret: ${component} has no secret ${missing.join(', ')}\n`);
  }
  out(
    io,
    removed.length === 0
      ? `nothing deleted for ${component}`
      : `deleted ${removed.join(', ')} for ${component}`,
  );
  return missing.length > 0 ? 1 : 0;
}

/** Runs `wasmactor secret ...`; resolves to the exit code. */
export async function secretCommand(args: string[], io: CommandIo): Promise<number> {
  const options = { 'secrets-dir': { type: 'string' } } as const;
  const parsed = parseCommand({ name: NAME, usage: secretUsage, options }, args, io);
  if (typeof parsed === 'number') return parsed;
  const [action, component, ...rest] = parsed.positionals;
  if (action === undefined) return fail(io, NAME, `missing action\n\n${secretUsage}`);
  if (component === undefined) return fail(io, NAME, `${action}: missing the component id`);
  const dir = parsed.values['secrets-dir'];
  const where: Where = dir === undefined ? {} : { dir };
  switch (action) {
    case 'set':
      return set(io, component, rest, where);
    case 'list':
      return list(io, component, rest, where);
    case 'delete':
      return remove(io, component, rest, where);
    default:
      return fail(io, NAME, `unknown action "${action}"\n\n${secretUsage}`);
  }
}
