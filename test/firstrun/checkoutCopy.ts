/**
 * A copy of the checkout's runnable part (bin/, scripts/, src/, package.json, tsconfig.json; node_modules
 * linked), for tests that build dist/ or edit sources without touching the checkout the suite runs in.
 */
import { execFile } from 'node:child_process';
import { cp, mkdir, symlink } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

const root = join(import.meta.dirname, '..', '..');

/** Copies the checkout into `dir` (created); returns `dir`. */
export async function copyCheckout(dir: string): Promise<string> {
  await mkdir(dir, { recursive: true });
  for (const path of ['bin', 'scripts', 'src', 'package.json', 'tsconfig.json']) {
    await cp(join(root, path), join(dir, path), { recursive: true, preserveTimestamps: true });
  }
  await symlink(join(root, 'node_modules'), join(dir, 'node_modules'));
  return dir;
}

/** Runs the copy's build (`node scripts/build.mjs flags...`), as `npm start` (`--if-stale`) or prepack do. */
export async function buildCopy(dir: string, ...flags: string[]): Promise<void> {
  await promisify(execFile)(process.execPath, [join(dir, 'scripts', 'build.mjs'), ...flags]);
}
