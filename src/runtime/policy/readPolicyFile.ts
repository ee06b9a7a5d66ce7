/**
 * Reads and parses a policy file that a client named (`load-component {policy_path}`): bounded like a
 * component (a regular file only, at most 1 MiB, nothing read from a FIFO or a device) and, like every
 * policy error, never echoing the file's content.
 */
import { readBoundedFile } from '../index.ts';
import { RuntimeError } from '../RuntimeError.ts';
import { parsePolicy } from './parse.ts';
import type { GrantGuard } from './rules.ts';
import type { Policy } from './types.ts';

/** Largest policy file read, in bytes: a real policy is a few hundred bytes. */
export const MAX_POLICY_FILE_SIZE = 2 ** 20;

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Reads `path` and parses it as a policy (`source` names it in messages; default the path).
 * @throws RuntimeError `not-found` (missing or unreadable; `cause` keeps the errno), `not-a-file`,
 *   `too-large`, `invalid-policy`
 */
export async function readPolicyFile(path: string, guard: GrantGuard = {}, source = path): Promise<Policy> {
  const bytes = await readBoundedFile(path, { what: 'policy file', maxSize: MAX_POLICY_FILE_SIZE });
  let text: string;
  try {
    text = utf8.decode(bytes);
  } catch {
    throw new RuntimeError('invalid-policy', `invalid policy ${source}: it is not UTF-8 text`);
  }
  return parsePolicy(text, source, guard);
}
