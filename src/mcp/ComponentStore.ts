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
 */
import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { copyFile, link, mkdir, open, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { ToolDefinition } from '../runtime/index.ts';
import { McpError } from './McpError.ts';

/** What `metadata.json` holds. */
export interface ComponentMetadata {
  /** Format version of this file. */
  version: 1;
  id: string;
  /** Where the component was loaded from (an absolute path or a URI), for people reading the file. */
  source: string;
  /** sha256 (hex) of `component.wasm`; checked on restore. */
  sha256: string;
  stateful: boolean;
  /** The tools as they were when it was loaded, so they can be listed before the component is ready. */
  tools: ToolDefinition[];
  /** ISO time of the load. */
  loadedAt: string;
}

/** One valid entry of the directory. */
export interface StoredComponent {
  metadata: ComponentMetadata;
  /** Absolute path of `component.wasm`. */
  wasmPath: string;
  /** Absolute path of `policy.yaml`. */
  policyPath: string;
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

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

/** The component directory. Create it with `ComponentStore.open(dir)`. */
export class ComponentStore {
  private constructor(readonly dir: string) {}

  /**
   * Opens (creating if needed) a component directory and repairs what a crash may have left; a directory
   * that cannot be used throws `store-failed`.
   */
  static async open(dir: string): Promise<ComponentStore> {
    const store = new ComponentStore(dir);
    try {
      await mkdir(dir, { recursive: true });
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

  private async recover(): Promise<void> {
    const names = await readdir(this.dir);
    for (const name of names) {
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
    }
    await syncDir(this.dir);
  }

  /**
   * Writes (or replaces) one entry. `bytes` is the component, or `{ fromPath }` to hard-link or copy an
   * existing file (used when only the metadata or the policy changes).
   */
  async save(
    metadata: ComponentMetadata,
    bytes: Uint8Array | { fromPath: string },
    policy?: string,
  ): Promise<StoredComponent> {
    const target = this.entryDir(metadata.id);
    const tag = randomBytes(6).toString('hex');
    const staging = join(this.dir, `.staging-${metadata.id}-${tag}`);
    await mkdir(staging);
    try {
      const wasm = join(staging, 'component.wasm');
      if (bytes instanceof Uint8Array) {
        await writeFileSynced(wasm, bytes);
      } else {
        // The old file is never changed in place, so sharing its inode is safe.
        await link(bytes.fromPath, wasm).catch(() => copyFile(bytes.fromPath, wasm));
      }
      let policyText = policy;
      if (policyText === undefined) {
        policyText = await readFile(join(target, 'policy.yaml'), 'utf8').catch(() =>
          defaultPolicy(metadata.id),
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

  /** Reads one entry; throws `McpError('broken-entry')` with a message that says what is wrong with it. */
  async get(id: string): Promise<StoredComponent> {
    const target = this.entryDir(id);
    const metadataPath = join(target, 'metadata.json');
    let parsed: unknown;
    try {
      parsed = JSON.parse(await readFile(metadataPath, 'utf8'));
    } catch (error) {
      throw new McpError('broken-entry', `${metadataPath} cannot be read: ${(error as Error).message}`, {
        cause: error,
      });
    }
    const metadata = parsed as ComponentMetadata;
    if (
      typeof metadata !== 'object' ||
      metadata === null ||
      metadata.version !== 1 ||
      metadata.id !== id ||
      typeof metadata.sha256 !== 'string' ||
      typeof metadata.stateful !== 'boolean' ||
      !Array.isArray(metadata.tools)
    ) {
      throw new McpError(
        'broken-entry',
        `${metadataPath} is not wasmactor component metadata (version 1 for id "${id}")`,
      );
    }
    const wasmPath = join(target, 'component.wasm');
    if (!(await exists(wasmPath))) throw new McpError('broken-entry', `${wasmPath} is missing`);
    return { metadata, wasmPath, policyPath: join(target, 'policy.yaml') };
  }

  /** The policy text of an entry. */
  async policy(id: string): Promise<string> {
    return readFile(join(this.entryDir(id), 'policy.yaml'), 'utf8');
  }

  /** Every valid entry, plus a problem for each one that is broken (those are skipped). */
  async list(): Promise<{ components: StoredComponent[]; problems: StoreProblem[] }> {
    const components: StoredComponent[] = [];
    const problems: StoreProblem[] = [];
    const entries = await readdir(this.dir, { withFileTypes: true });
    for (const entry of entries.sort((a, b) => (a.name < b.name ? -1 : 1))) {
      if (!entry.isDirectory() || entry.name.startsWith('.')) continue;
      if (!isValidComponentId(entry.name)) continue;
      try {
        components.push(await this.get(entry.name));
      } catch (error) {
        problems.push({ id: entry.name, message: (error as Error).message });
      }
    }
    return { components, problems };
  }
}
