/**
 * Per-component secrets: `$XDG_CONFIG_HOME/wasmactor/secrets/<component>.yaml` (default
 * `~/.config/wasmactor/...`), a flat YAML mapping KEY: value, file mode 0600 in a 0700 directory,
 * replaced atomically (temp file + rename). A component sees its own secrets as environment variables
 * (see `policyToSandbox`). Values never appear in errors or logs; only keys do.
 */
import { randomBytes } from 'node:crypto';
import { chmod, mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { RuntimeError } from '../RuntimeError.ts';
import { describeProblem, envKeyProblem } from './rules.ts';
import { yaml } from './yaml.ts';

/** Where secrets live: `dir` overrides the config directory (tests). */
export interface SecretsOptions {
  /** Directory holding `<component>.yaml` files (default `$XDG_CONFIG_HOME/wasmactor/secrets`). */
  dir?: string;
}

/** `$XDG_CONFIG_HOME/wasmactor/secrets`, or `~/.config/wasmactor/secrets`. */
export function defaultSecretsDir(env: NodeJS.ProcessEnv = process.env): string {
  const base =
    env.XDG_CONFIG_HOME && env.XDG_CONFIG_HOME !== '' ? env.XDG_CONFIG_HOME : join(homedir(), '.config');
  return join(base, 'wasmactor', 'secrets');
}

function fileOf(component: string, options: SecretsOptions): string {
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(component) || component.includes('..')) {
    throw new RuntimeError(
      'invalid-argument',
      `"${component}" cannot name a secrets file (letters, digits, ".", "_", "-")`,
    );
  }
  return join(options.dir ?? defaultSecretsDir(), `${component}.yaml`);
}

/**
 * Brings an existing secrets directory to mode 0700 (one made by hand, or by an older version, may be
 * readable by others). A missing directory is left alone; one that cannot be fixed is an error, so a
 * secret is never read from or written to a directory others can list.
 */
async function secureDir(dir: string): Promise<void> {
  let mode: number;
  try {
    mode = (await stat(dir)).mode;
  } catch (cause) {
    if ((cause as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw new RuntimeError('host-error', `cannot check the secrets directory ${dir}`, { cause });
  }
  if ((mode & 0o777) === 0o700) return;
  try {
    await chmod(dir, 0o700);
  } catch (cause) {
    throw new RuntimeError(
      'host-error',
      `the secrets directory ${dir} is open to others (mode ${(mode & 0o777).toString(8)}) and cannot be ` +
        'changed to 0700; fix its owner or mode',
      { cause },
    );
  }
}

/** The component's secrets; `{}` when it has none. The directory is brought to 0700 first. */
export async function loadSecrets(
  component: string,
  options: SecretsOptions = {},
): Promise<Record<string, string>> {
  const file = fileOf(component, options);
  await secureDir(options.dir ?? defaultSecretsDir());
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (cause) {
    if ((cause as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw new RuntimeError('host-error', `cannot read the secrets of ${component} (${file})`, { cause });
  }
  const doc = yaml().parseDocument(text, { schema: 'failsafe' });
  const value: unknown = doc.errors.length === 0 ? doc.toJS() : undefined;
  if (value === null || value === undefined) {
    if (doc.errors.length === 0) return {};
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    // no cause: the YAML error quotes the file's text, which holds secret values
    throw new RuntimeError('host-error', `the secrets file ${file} is not a mapping of KEY: value`);
  }
  const out: Record<string, string> = {};
  for (const [key, v] of Object.entries(value as Record<string, unknown>)) {
    if (typeof v === 'string') out[key] = v;
  }
  return out;
}

/** The keys of the component's secrets, sorted; never the values. */
export async function listSecretKeys(component: string, options: SecretsOptions = {}): Promise<string[]> {
  return Object.keys(await loadSecrets(component, options)).sort();
}

async function store(
  component: string,
  secrets: Record<string, string>,
  options: SecretsOptions,
): Promise<void> {
  const file = fileOf(component, options);
  const dir = options.dir ?? defaultSecretsDir();
  if (Object.keys(secrets).length === 0) {
    await rm(file, { force: true });
    return;
  }
  await mkdir(dir, { recursive: true, mode: 0o700 });
  await secureDir(dir);
  const temp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    // mode at creation: the value is never readable by others, not even for a moment
    await writeFile(temp, yaml().stringify(secrets, { defaultStringType: 'QUOTE_DOUBLE' }), {
      mode: 0o600,
      flag: 'wx',
    });
    await chmod(temp, 0o600);
    await rename(temp, file);
  } catch (cause) {
    await rm(temp, { force: true });
    throw new RuntimeError('host-error', `cannot write the secrets of ${component} (${file})`, { cause });
  }
}

/** Adds or replaces secrets of the component (other keys are kept). */
export async function setSecrets(
  component: string,
  secrets: Record<string, string>,
  options: SecretsOptions = {},
): Promise<void> {
  for (const key of Object.keys(secrets)) {
    const problem = envKeyProblem(key);
    if (problem !== undefined)
      throw new RuntimeError('invalid-argument', `secret key ${describeProblem(key, { problem })}`);
  }
  const current = await loadSecrets(component, options);
  await store(component, { ...current, ...secrets }, options);
}

/** Deletes the given keys (all of the component's secrets when `keys` is omitted); returns the keys removed. */
export async function deleteSecrets(
  component: string,
  keys?: readonly string[],
  options: SecretsOptions = {},
): Promise<string[]> {
  const current = await loadSecrets(component, options);
  const removed = keys === undefined ? Object.keys(current) : keys.filter((k) => Object.hasOwn(current, k));
  const rest = Object.fromEntries(Object.entries(current).filter(([k]) => !removed.includes(k)));
  await store(component, rest, options);
  return removed.sort();
}
