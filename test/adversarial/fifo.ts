/** A temporary folder holding one FIFO, for the tests that a FIFO is refused without a blocking read. */
import { spawnSync } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Makes a fresh folder (`prefix` + random) and the FIFO `<folder>/<name>` in it. */
export async function tempDirWithFifo(prefix: string, name: string): Promise<{ dir: string; fifo: string }> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  const fifo = join(dir, name);
  const made = spawnSync('mkfifo', [fifo]);
  if (made.status !== 0) throw new Error(`mkfifo failed: ${made.stderr}`);
  return { dir, fifo };
}
