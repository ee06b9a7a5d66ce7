/**
 * Packs the checkout as `npm publish` would and installs the tarball the way a user does, without the
 * network and without touching the checkout:
 * - the checkout's files (git's view: tracked and not ignored, so tests and docs are there to be left
 *   out) are copied to a temp dir, with `node_modules` linked and the built examples copied (so their
 *   build is a cache hit); `npm pack` there runs `prepack` (the dist/ build and the examples' build);
 * - the tarball is installed into a temp project with `npm ci --offline`: its lock file names the
 *   tarball and exactly the packages that the tarball's `dependencies` pull in, at the versions this
 *   repository's package-lock.json pins, found by following each package's own dependencies (Node's
 *   resolution over the lock's paths). npm takes them from its cache, filled by the `npm ci` that
 *   installed this checkout. No dev dependency can be there unless a runtime dependency needs it.
 * Used by test/firstrun/pack.test.ts and bench/startup.bench.ts.
 */
import { execFile } from 'node:child_process';
import { copyFile, mkdir, readdir, readFile, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

const exec = promisify(execFile);
const REPO_ROOT = new URL('../..', import.meta.url).pathname.replace(/\/$/, '');

/** One package as package-lock.json (lockfileVersion 3) describes it. */
interface LockEntry {
  version?: string;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  peerDependenciesMeta?: Record<string, { optional?: boolean }>;
  [key: string]: unknown;
}

/** What `npm pack --json` says about the tarball. */
export interface PackReport {
  filename: string;
  integrity: string;
  version: string;
  files: { path: string; size: number }[];
}

export interface InstalledPackage {
  pack: PackReport;
  tarball: string;
  /** The temp project the tarball is installed into. */
  project: string;
  /** `<project>/node_modules/wasmactor`. */
  packageDir: string;
  /** `<project>/node_modules/.bin/wasmactor`, the command as npm links it. */
  bin: string;
  /** Wall time of each step, ms. */
  timings: { pack: number; install: number };
}

/** Paths npm would see in the checkout: tracked and untracked-but-not-ignored files. */
async function checkoutFiles(): Promise<string[]> {
  const { stdout } = await exec('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], {
    cwd: REPO_ROOT,
    maxBuffer: 64 * 1024 * 1024,
  });
  const linked = /^(node_modules|examples\/build|fixtures\/build)(\/|$)/;
  return [...new Set(stdout.split('\0'))].filter((p) => p !== '' && !linked.test(p));
}

/** Copies the checkout into `dir` (node_modules linked, the built examples copied when there are any). */
async function stage(dir: string): Promise<void> {
  for (const path of await checkoutFiles()) {
    const target = join(dir, path);
    await mkdir(join(target, '..'), { recursive: true });
    // A deleted-but-tracked file is not there to copy; the packed tree goes without it too.
    await copyFile(join(REPO_ROOT, path), target).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== 'ENOENT') throw error;
    });
  }
  await symlink(join(REPO_ROOT, 'node_modules'), join(dir, 'node_modules'));
  const built = join(REPO_ROOT, 'examples', 'build');
  const names = await readdir(built).catch(() => [] as string[]);
  await mkdir(join(dir, 'examples', 'build'), { recursive: true });
  for (const name of names.filter((n) => /\.wasm(\.key)?$/.test(n))) {
    await copyFile(join(built, name), join(dir, 'examples', 'build', name));
  }
}

/** The directory of a lock path's parent package ('' for the root). */
function parentOf(path: string): string {
  const at = path.lastIndexOf('/node_modules/');
  return at === -1 ? '' : path.slice(0, at);
}

/**
 * The lock entries `dependencies` pull in: each dependency found the way Node finds it (the nearest
 * `node_modules/<name>` going up from the package that needs it), then its own dependencies.
 */
export function dependencyClosure(
  packages: Record<string, LockEntry>,
  dependencies: Record<string, string>,
): Record<string, LockEntry> {
  const picked: Record<string, LockEntry> = {};
  const visit = (from: string, name: string, optional: boolean): void => {
    for (let base = from; ; base = parentOf(base)) {
      const path = base === '' ? `node_modules/${name}` : `${base}/node_modules/${name}`;
      const entry = packages[path];
      if (entry) {
        if (picked[path]) return;
        picked[path] = entry;
        for (const dep of Object.keys(entry.dependencies ?? {})) visit(path, dep, false);
        for (const dep of Object.keys(entry.optionalDependencies ?? {})) visit(path, dep, true);
        for (const dep of Object.keys(entry.peerDependencies ?? {})) {
          visit(path, dep, entry.peerDependenciesMeta?.[dep]?.optional === true);
        }
        return;
      }
      if (base === '') {
        if (optional) return;
        throw new Error(`package-lock.json has no ${name} (needed by ${from || 'the package'})`);
      }
    }
  };
  for (const name of Object.keys(dependencies)) visit('', name, false);
  return picked;
}

/** Packs the checkout (in a copy) and installs the tarball into a temp project under `dir`. */
export async function packAndInstall(dir: string): Promise<InstalledPackage> {
  const staged = join(dir, 'checkout');
  await mkdir(staged, { recursive: true });
  await stage(staged);
  let started = performance.now();
  const { stdout } = await exec(
    'npm',
    ['pack', '--json', '--offline', '--loglevel=error', '--pack-destination', dir],
    {
      cwd: staged,
      maxBuffer: 64 * 1024 * 1024,
    },
  );
  const pack = (JSON.parse(stdout) as PackReport[])[0] as PackReport;
  const packMs = performance.now() - started;
  const tarball = join(dir, pack.filename);

  const manifest = JSON.parse(await readFile(join(staged, 'package.json'), 'utf8')) as LockEntry & {
    name: string;
  };
  const lock = JSON.parse(await readFile(join(staged, 'package-lock.json'), 'utf8')) as {
    packages: Record<string, LockEntry>;
  };
  const project = join(dir, 'project');
  await mkdir(project);
  const root = {
    name: 'wasmactor-install-probe',
    dependencies: { [manifest.name]: `file:../${pack.filename}` },
  };
  const packages: Record<string, LockEntry> = {
    '': root,
    [`node_modules/${manifest.name}`]: {
      version: pack.version,
      resolved: `file:../${pack.filename}`,
      integrity: pack.integrity,
      ...(manifest.dependencies ? { dependencies: manifest.dependencies } : {}),
      ...(manifest.bin ? { bin: manifest.bin } : {}),
      ...(manifest.engines ? { engines: manifest.engines } : {}),
    },
    ...dependencyClosure(lock.packages, manifest.dependencies ?? {}),
  };
  await writeFile(join(project, 'package.json'), JSON.stringify(root, null, 2));
  await writeFile(
    join(project, 'package-lock.json'),
    JSON.stringify({ name: root.name, lockfileVersion: 3, requires: true, packages }, null, 2),
  );
  started = performance.now();
  await exec('npm', ['ci', '--offline', '--no-audit', '--no-fund', '--loglevel=error'], {
    cwd: project,
  }).catch((error: { stderr?: string }) => {
    throw new Error(
      `npm ci --offline of the packed tarball failed (the npm cache must hold the dependencies: run npm ci in the checkout first): ${error.stderr}`,
    );
  });
  const installMs = performance.now() - started;
  const packageDir = join(project, 'node_modules', manifest.name);
  return {
    pack,
    tarball,
    project,
    packageDir,
    bin: join(project, 'node_modules', '.bin', 'wasmactor'),
    timings: { pack: packMs, install: installMs },
  };
}
