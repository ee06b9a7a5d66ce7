/**
 * Environment values given on the command line (`--env K=V`, `--env-file`): values that a component may
 * see once its policy grants the key, never by default.
 */
import { readFile } from 'node:fs/promises';
import { RuntimeError } from '../RuntimeError.ts';
import { envKeyProblem } from './rules.ts';

/**
 * Parses `KEY=VALUE` (the key a valid environment variable name, see `envKeyProblem`); `where` names
 * the flag or file line in the error. Errors never show the text (a file line may hold a secret).
 */
export function parseEnvPair(flag: string, where: string): [string, string] {
  const eq = flag.indexOf('=');
  if (eq <= 0) throw new RuntimeError('invalid-argument', `${where}: not KEY=VALUE (no "=" after a name)`);
  const key = flag.slice(0, eq).trim();
  const problem = envKeyProblem(key);
  if (problem !== undefined) throw new RuntimeError('invalid-argument', `${where}: the key ${problem}`);
  return [key, flag.slice(eq + 1)];
}

/** Reads an env file: `KEY=VALUE` lines, `#` comments and blank lines ignored, optional quotes removed. */
export async function readEnvFile(path: string): Promise<Record<string, string>> {
  const text = await readFile(path, 'utf8').catch((error: NodeJS.ErrnoException) => {
    throw new RuntimeError('not-found', `cannot read --env-file ${path}: ${error.message}`);
  });
  const env: Record<string, string> = {};
  text.split(/\r?\n/).forEach((raw, index) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const [key, value] = parseEnvPair(line.replace(/^export\s+/, ''), `${path}:${index + 1}`);
    env[key.trim()] = value.trim().replace(/^(['"])(.*)\1$/, '$2');
  });
  return env;
}
