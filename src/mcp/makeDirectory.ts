/** `mkdir -p` that always settles: used for the component directory and the download cache. */
import { mkdir } from 'node:fs/promises';
import { resolve, sep } from 'node:path';

/**
 * `mkdir -p`, one level at a time. Node 20's `mkdir(dir, {recursive: true})` never settles (and spins)
 * for a path under `/proc` such as `--component-dir /proc/x`; this fails with that level's error instead.
 */
export async function makeDirectory(dir: string): Promise<void> {
  let path = '';
  for (const part of resolve(dir)
    .split(sep)
    .filter((p) => p !== '')) {
    path = `${path}${sep}${part}`;
    try {
      await mkdir(path);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
  }
}
