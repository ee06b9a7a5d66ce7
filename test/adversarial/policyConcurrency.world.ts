/**
 * The files the concurrency tests of permission changes work on: a component directory, `DIRS` data
 * directories each holding `f.txt` (what the guest reads to show which grants are in force), and a copy
 * of the `wasi-probe` fixture beside a policy file written from `filePermissions`.
 */
import { copyFile, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fixture, tempDir } from '../mcp/helpers.ts';
import { DIRS, type Permissions, policyFileText } from './policyConcurrency.model.ts';

export interface PolicyWorld {
  storeDir: string;
  dirs: string[];
  component: { id: string; wasmPath: string; policyPath: string };
  filePermissions: Permissions;
  cleanup: () => Promise<void>;
}

export async function policyWorld(
  prefix: string,
  filePermissions: (dirs: string[]) => Permissions,
): Promise<PolicyWorld> {
  const [probe] = (await fixture('wasi-probe')) as [string];
  const cleanups: (() => Promise<void>)[] = [];
  const temp = async (name: string) => {
    const t = await tempDir(`${prefix}${name}-`);
    cleanups.push(t.cleanup);
    return t.dir;
  };
  const storeDir = await temp('store');
  const data = await temp('data');
  const wasmDir = await temp('wasm');
  const dirs: string[] = [];
  for (let i = 0; i < DIRS; i++) {
    const dir = join(data, `d${i}`);
    await mkdir(dir);
    await writeFile(join(dir, 'f.txt'), `file ${i}`);
    dirs.push(dir);
  }
  const component = {
    id: 'wasi-probe',
    wasmPath: join(wasmDir, 'wasi-probe.wasm'),
    policyPath: join(wasmDir, 'file-policy.yaml'),
  };
  await copyFile(probe, component.wasmPath);
  const permissions = filePermissions(dirs);
  await writeFile(component.policyPath, policyFileText(permissions));
  return {
    storeDir,
    dirs,
    component,
    filePermissions: permissions,
    cleanup: async () => {
      for (const cleanup of cleanups) await cleanup();
    },
  };
}
