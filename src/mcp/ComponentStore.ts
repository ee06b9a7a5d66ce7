/**
 * The component directory: what makes loaded components survive a restart.
 *
 *   <dir>/<id>/component.wasm   the component's bytes
 *   <dir>/<id>/metadata.json    source, sha256, stateful flag, tool schemas (see `ComponentMetadata`)
 *   <dir>/<id>/policy.yaml      the component's permissions (deny-all until something is granted)
 *
 * Every write is atomic at the level of a whole entry: a new entry is written and fsynced in a staging
 * folder, then renamed into place. Replacing an entry first renames the old folder aside (`.old-<id>-*`),
 * then renames the new one in; `open()` puts an old folder back when a crash came between the two renames
 * and deletes leftover staging folders. So a crash at any point leaves either the old or the new entry.
 *
 * Reading trusts nothing on disk: only regular files are read (never a symlink, FIFO or device, so
 * nothing blocks or reads without end), each within a size limit, and `metadata.json` must pass the
 * schema of `storedMetadata.ts`. A broken entry is reported by `list()` and skipped; the others are used.
 */
import { randomBytes } from 'node:crypto';
import { constants, type Stats } from 'node:fs';
import { copyFile, link, lstat, mkdir, open, readdir, rename, rm, stat } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { fileKind, log, sha256 } from '../runtime/index.ts';
import { McpError } from './McpError.ts';
import { makeDirectory } from './makeDirectory.ts';
import { readRegularFile, regularFileStats } from './readRegularFile.ts';
import { type ComponentMetadata, metadataProblem } from './storedMetadata.ts';

export type { ComponentMetadata } from './storedMetadata.ts';

/** Largest `metadata.json` read (a component with 10,000 exports needs a few MB). */
export const MAX_METADATA_BYTES = 64 * 1024 * 1024;
/** Largest `policy.yaml` read. */
export const MAX_POLICY_BYTES = 4 * 1024 * 1024;
/** Largest `component.wasm` read unless `open()` is given another limit (Node reads no file over 2 GiB). */
export const DEFAULT_MAX_COMPONENT_BYTES = 2 ** 31 - 1;

/** Options of `ComponentStore.open`. */
export interface ComponentStoreOptions {
  /** Largest `component.wasm` that is read back; a bigger one makes its entry broken. */
  maxComponentBytes?: number;
}

/** One valid entry of the directory. */
export interface StoredComponent {
  metadata: ComponentMetadata;
  /** Absolute path of `component.wasm`. */
  wasmPath: string;
  /** Absolute path of `policy.yaml`. */
  policyPath: string;
}

/** A component's bytes being written ahead of its entry (see `ComponentStore.stage`). */
export interface StagedBytes {
  /** The entry they are for. */
  readonly id: string;
  /** The staging folder that holds `component.wasm`. */
  readonly staging: string;
  /** Settles when the bytes are written and synced. */
  readonly written: Promise<void>;
  /** Removes the staging folder (once the write has ended); safe to call twice. */
  discard(): Promise<void>;
}

/** An entry that could not be read; it is skipped, the others are used. */
export interface StoreProblem {
  id: string;
  message: string;
}

/** The policy every new component gets: nothing is allowed. */
export function defaultPolicy(id: string): string {
  return `# Permissions of component "${id}". Nothing is allowed until it is granted.\nversion: "1.0"\ndescription: "Default policy for ${id}: deny all"\npermissions: {}\n`;
}

/** `$XDG_DATA_HOME/wasmactor/components`, or `~/.local/share/wasmactor/components`. */
export function defaultComponentDir(): string {
  const base = process.env.XDG_DATA_HOME || join(homedir(), '.local', 'share');
  return join(base, 'wasmactor', 'components');
}

const ID_PATTERN = /^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$/;

/** True for a string that can be a component id (and so a folder name). */
export function isValidComponentId(id: string): boolean {
  return ID_PATTERN.test(id) && id !== '.' && id !== '..';
}

async function writeFileSynced(path: string, data: string | Uint8Array): Promise<void> {
  const handle = await open(path, 'w', 0o644);
  try {
    await handle.writeFile(data);
    await handle.sync();
  } finally {
    await handle.close();
  }
}

async function syncDir(path: string): Promise<void> {
  let handle: Awaited<ReturnType<typeof open>> | undefined;
  try {
    handle = await open(path, constants.O_RDONLY);
    await handle.sync();
  } catch {
    // fsync of a directory is not possible everywhere; the renames are still atomic.
  } finally {
    await handle?.close();
  }
}

/** True when anything is at `path`, also a dangling symlink or a loop (so that it can be replaced). */
async function exists(path: string): Promise<boolean> {
  try {
    await lstat(path);
    return true;
  } catch {
    return false;
  }
}

/** `why`, then what the user can do about the broken entry at `path`. */
function brokenEntry(why: string, path: string): string {
  return `${why}. The entry is skipped; load the component again to replace it, or delete ${path}`;
}

/** `mkdir -p` (see makeDirectory.ts), and `dir` must be a directory at the end. */
async function makeDirectoryChecked(dir: string): Promise<void> {
  await makeDirectory(dir);
  if (!(await stat(dir)).isDirectory()) throw new Error(`${dir} is not a directory`);
}

/** The component directory. Create it with `ComponentStore.open(dir)`. */
export class ComponentStore {
  private constructor(
    readonly dir: string,
    private readonly maxComponentBytes: number,
  ) {}

  /**
   * Opens (creating if needed) a component directory and repairs what a crash may have left; a directory
   * that cannot be used throws `store-failed`.
   */
  static async open(dir: string, options: ComponentStoreOptions = {}): Promise<ComponentStore> {
    const store = new ComponentStore(dir, options.maxComponentBytes ?? DEFAULT_MAX_COMPONENT_BYTES);
    try {
      await makeDirectoryChecked(dir);
      await store.recover();
    } catch (cause) {
      throw new McpError(
        'store-failed',
        `cannot use ${dir} as the component directory (${(cause as Error).message}); give another with --component-dir`,
        { cause },
      );
    }
    return store;
  }

  private entryDir(id: string): string {
    if (!isValidComponentId(id))
      throw new McpError(
        'invalid-id',
        `"${id}" is not a valid component id (letters, digits, ".", "_" and "-")`,
      );
    return join(this.dir, id);
  }

  /** Best effort: what cannot be repaired is logged and left; `list()` reports what it then finds. */
  private async recover(): Promise<void> {
    const names = await readdir(this.dir);
    for (const name of names) {
      try {
        if (name.startsWith('.staging-')) {
          await rm(join(this.dir, name), { recursive: true, force: true });
          continue;
        }
        const old = /^\.old-(.+)-[0-9a-f]{12}$/.exec(name);
        if (!old) continue;
        const id = old[1] as string;
        if (isValidComponentId(id) && !(await exists(join(this.dir, id)))) {
          await rename(join(this.dir, name), join(this.dir, id));
        } else {
          await rm(join(this.dir, name), { recursive: true, force: true });
        }
      } catch (error) {
        log.warn('cannot clean up a leftover of an interrupted write in the component directory', {
          path: join(this.dir, name),
          error: (error as Error).message,
        });
      }
    }
    await syncDir(this.dir);
  }

  /**
   * Starts writing a component's bytes for a `save` of entry `id` to come, so that the write (and its
   * fsync) overlaps the component's load instead of following it. Give the result to `save`, or
   * `discard` it when the load fails. A crash before either leaves a staging folder, which `open()`
   * removes.
   */
  stage(id: string, bytes: Uint8Array): StagedBytes {
    this.entryDir(id);
    const staging = join(this.dir, `.staging-${id}-${randomBytes(6).toString('hex')}`);
    const written = (async () => {
      await mkdir(staging);
      await writeFileSynced(join(staging, 'component.wasm'), bytes);
    })();
    // Awaited by `save`; a load that fails first discards it, and its failure is not unhandled.
    written.catch(() => undefined);
    let discarded: Promise<void> | undefined;
    return {
      id,
      staging,
      written,
      discard: () => {
        discarded ??= written
          .then(
            () => undefined,
            () => undefined,
          )
          .then(() => rm(staging, { recursive: true, force: true }));
        return discarded;
      },
    };
  }

  /**
   * Writes (or replaces) one entry. `bytes` is the component, bytes staged for it (`stage`), or
   * `{ fromPath }` to hard-link or copy an existing file (used when only the metadata or the policy
   * changes).
   */
  async save(
    metadata: ComponentMetadata,
    bytes: Uint8Array | StagedBytes | { fromPath: string },
    policy?: string,
  ): Promise<StoredComponent> {
    const target = this.entryDir(metadata.id);
    const tag = randomBytes(6).toString('hex');
    const staged = 'staging' in bytes ? bytes : undefined;
    if (staged && staged.id !== metadata.id) {
      await staged.discard();
      throw new Error(`bytes staged for ${staged.id} cannot be saved as ${metadata.id}`);
    }
    const staging = staged?.staging ?? join(this.dir, `.staging-${metadata.id}-${tag}`);
    try {
      if (staged) {
        await staged.written;
      } else {
        await mkdir(staging);
        const wasm = join(staging, 'component.wasm');
        if (bytes instanceof Uint8Array) {
          await writeFileSynced(wasm, bytes);
        } else if ('fromPath' in bytes) {
          // The old file is never changed in place, so sharing its inode is safe.
          await link(bytes.fromPath, wasm).catch(() => copyFile(bytes.fromPath, wasm));
        }
      }
      let policyText = policy;
      if (policyText === undefined) {
        policyText = await readRegularFile(join(target, 'policy.yaml'), MAX_POLICY_BYTES).then(
          (bytes) => bytes.toString('utf8'),
          () => defaultPolicy(metadata.id),
        );
      }
      await writeFileSynced(join(staging, 'policy.yaml'), policyText);
      await writeFileSynced(join(staging, 'metadata.json'), `${JSON.stringify(metadata, null, 2)}\n`);
      await syncDir(staging);
      if (await exists(target)) {
        const aside = join(this.dir, `.old-${metadata.id}-${tag}`);
        await rename(target, aside);
        await rename(staging, target);
        await syncDir(this.dir);
        await rm(aside, { recursive: true, force: true });
      } else {
        await rename(staging, target);
        await syncDir(this.dir);
      }
    } catch (error) {
      await rm(staging, { recursive: true, force: true });
      throw error;
    }
    return { metadata, wasmPath: join(target, 'component.wasm'), policyPath: join(target, 'policy.yaml') };
  }

  /** Deletes an entry; false when there was none. */
  async remove(id: string): Promise<boolean> {
    const target = this.entryDir(id);
    if (!(await exists(target))) return false;
    const aside = join(this.dir, `.staging-${id}-${randomBytes(6).toString('hex')}`);
    // Renamed to a staging name first, so a crash mid-delete leaves nothing that looks like an entry.
    await rename(target, aside);
    await syncDir(this.dir);
    await rm(aside, { recursive: true, force: true });
    return true;
  }

  /**
   * Reads and checks one entry: its folder, its `metadata.json` (a regular file, valid JSON, the
   * schema of `ComponentMetadata`) and that `component.wasm` is a regular file within the size limit.
   * Throws `McpError('broken-entry')` that names the file and the problem. Never blocks on a FIFO or reads a device.
   */
  async get(id: string): Promise<StoredComponent> {
    const target = this.entryDir(id);
    let folder: Stats;
    try {
      folder = await lstat(target);
    } catch (cause) {
      const error = cause as NodeJS.ErrnoException;
      throw new McpError(
        'broken-entry',
        error.code === 'ENOENT' ? `${target} does not exist` : `${target} cannot be read: ${error.message}`,
      );
    }
    if (!folder.isDirectory())
      throw new McpError('broken-entry', `${target} is ${fileKind(folder)}, not a component folder`);
    const metadataPath = join(target, 'metadata.json');
    const text = (await readRegularFile(metadataPath, MAX_METADATA_BYTES)).toString('utf8');
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      // The parser's message quotes the text; it is not repeated.
      throw new McpError('broken-entry', `${metadataPath} is not valid JSON (cut short or overwritten)`);
    }
    const problem = metadataProblem(parsed, id);
    if (problem !== undefined)
      throw new McpError('broken-entry', `${metadataPath} is not valid component metadata: ${problem}`);
    const wasmPath = join(target, 'component.wasm');
    await regularFileStats(wasmPath, this.maxComponentBytes);
    return { metadata: parsed as ComponentMetadata, wasmPath, policyPath: join(target, 'policy.yaml') };
  }

  /**
   * The bytes of an entry's `component.wasm`, checked against the sha256 of its metadata. Throws a
   * message that names the file, the problem and the fix (it is only a regular file that is read).
   */
  async readComponent(entry: StoredComponent): Promise<Uint8Array> {
    const folder = join(this.dir, entry.metadata.id);
    let bytes: Uint8Array;
    try {
      const read = await readRegularFile(entry.wasmPath, this.maxComponentBytes);
      bytes = new Uint8Array(read.buffer, read.byteOffset, read.byteLength);
    } catch (error) {
      throw new McpError('broken-entry', brokenEntry((error as Error).message, folder));
    }
    const actual = sha256(bytes);
    if (actual !== entry.metadata.sha256) {
      throw new McpError(
        'broken-entry',
        brokenEntry(
          `${entry.wasmPath} has sha256 ${actual}, but metadata.json says ${entry.metadata.sha256} (the file changed after it was stored)`,
          folder,
        ),
      );
    }
    return bytes;
  }

  /** The policy text of an entry (a missing file throws with `code` `ENOENT`). */
  async policy(id: string): Promise<string> {
    return (await readRegularFile(join(this.entryDir(id), 'policy.yaml'), MAX_POLICY_BYTES)).toString('utf8');
  }

  /**
   * Every valid entry, plus a problem for each one that is broken (those are skipped): a folder whose
   * name cannot be an id, a file or symlink where a folder should be, and whatever `get` refuses. Names
   * that start with `.` are not entries (staging folders, editor files) and are not reported.
   */
  async list(): Promise<{ components: StoredComponent[]; problems: StoreProblem[] }> {
    const components: StoredComponent[] = [];
    const problems: StoreProblem[] = [];
    const names = (await readdir(this.dir)).sort();
    for (const name of names) {
      if (name.startsWith('.')) continue;
      const path = join(this.dir, name);
      if (!isValidComponentId(name)) {
        problems.push({
          id: name,
          message: `${path} is not a component entry ("${name}" cannot be a component id); it is ignored: move it out of the component directory`,
        });
        continue;
      }
      try {
        components.push(await this.get(name));
      } catch (error) {
        problems.push({ id: name, message: brokenEntry((error as Error).message, path) });
      }
    }
    return { components, problems };
  }
}
