// Installs what `npm start` and `npm test` need on a fresh clone, so that neither needs a separate
// install step:
// - with --deps: the project's dependencies (npm ci), when node_modules does not match package-lock.json;
// - with --test-packages (the `pretest` step; --browser is the old name): the Debian packages the tests
//   drive: chromium (the browser test), docker-registry (the OCI registry tests), nginx (the scale-out
//   test). What is missing is installed with one apt-get update and one apt-get install when the user is
//   root and apt-get exists; otherwise nothing is installed and each missing one is named with how to
//   get it (see testPackagesPlan), and the tests that need it fail with the same line.
// Plain JS with no imports beyond Node's own: it runs before anything is installed. All output goes to
// stderr, because `npm start` serves MCP on stdout.
import { spawnSync } from 'node:child_process';
import { existsSync, lstatSync, readFileSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';

/** The Chromium the browser test uses unless WASMACTOR_CHROMIUM names another executable. */
export const DEFAULT_CHROMIUM = '/usr/bin/chromium';

/** The variable that points the browser test at another Chromium executable. */
export const CHROMIUM_VARIABLE = 'WASMACTOR_CHROMIUM';

/**
 * The executable the browser test launches, and when it is absent the one line that says how to get it.
 * `facts.env` is the environment, `facts.exists` tells whether a path exists.
 * @param {{ env: Record<string, string | undefined>, exists: (path: string) => boolean }} facts
 * @returns {{ path: string, problem?: string }}
 */
export function chromiumExecutable(facts) {
  const chosen = facts.env[CHROMIUM_VARIABLE];
  if (chosen) {
    if (facts.exists(chosen)) return { path: chosen };
    return {
      path: chosen,
      problem: `${CHROMIUM_VARIABLE}=${chosen} does not exist: point ${CHROMIUM_VARIABLE} at a Chromium executable, or unset it to use ${DEFAULT_CHROMIUM}`,
    };
  }
  if (facts.exists(DEFAULT_CHROMIUM)) return { path: DEFAULT_CHROMIUM };
  return {
    path: DEFAULT_CHROMIUM,
    problem: `the browser test needs Chromium at ${DEFAULT_CHROMIUM}: install it (Debian/Ubuntu: sudo apt-get install chromium), or set ${CHROMIUM_VARIABLE} to another Chromium executable`,
  };
}

/**
 * What `pretest` does about Chromium, decided from the facts alone (so that it is testable without
 * uninstalling anything): `none` when it is there, `install` with apt-get when we may, else `explain`
 * (the browser test will fail with `message`; installing is the user's call).
 * @param {{ env: Record<string, string | undefined>, exists: (path: string) => boolean,
 *           isRoot: boolean, hasAptGet: boolean }} facts
 * @returns {{ action: 'none' } | { action: 'install', commands: string[][] } | { action: 'explain', message: string }}
 */
export function chromiumPlan(facts) {
  const { problem } = chromiumExecutable(facts);
  if (!problem) return { action: 'none' };
  // A chosen executable that is missing is the user's mistake: installing Debian's would hide it.
  if (!facts.env[CHROMIUM_VARIABLE] && facts.isRoot && facts.hasAptGet) {
    return {
      action: 'install',
      commands: [
        ['apt-get', 'update'],
        ['apt-get', 'install', '-y', '--no-install-recommends', 'chromium'],
      ],
    };
  }
  return { action: 'explain', message: problem };
}

/**
 * The Debian packages the tests drive besides Chromium (which has its own variable, see chromiumPlan):
 * the executable that shows each is installed and the tests that need it.
 */
export const TEST_PACKAGES = [
  { name: 'docker-registry', path: '/usr/bin/docker-registry', usedBy: 'the OCI registry tests' },
  { name: 'nginx', path: '/usr/sbin/nginx', usedBy: 'the scale-out test behind nginx' },
];

/**
 * What `pretest` does about every Debian package the tests need, decided from the facts alone: the
 * missing ones that may be installed go into one `apt-get update` and one `apt-get install` (root with
 * apt-get), and every one that will stay missing gets a line saying which tests need it and how to get it.
 * @param {{ env: Record<string, string | undefined>, exists: (path: string) => boolean,
 *           isRoot: boolean, hasAptGet: boolean }} facts
 * @returns {{ install: string[], commands: string[][], messages: string[] }}
 */
export function testPackagesPlan(facts) {
  const install = [];
  const messages = [];
  const chromium = chromiumPlan(facts);
  if (chromium.action === 'install') install.push('chromium');
  if (chromium.action === 'explain') messages.push(chromium.message);
  const canInstall = facts.isRoot && facts.hasAptGet;
  for (const pkg of TEST_PACKAGES) {
    if (facts.exists(pkg.path)) continue;
    if (canInstall) install.push(pkg.name);
    else
      messages.push(
        `${pkg.usedBy} need ${pkg.name} at ${pkg.path}: install it (Debian/Ubuntu: sudo apt-get install ${pkg.name})`,
      );
  }
  const commands =
    install.length === 0
      ? []
      : [
          ['apt-get', 'update'],
          ['apt-get', 'install', '-y', '--no-install-recommends', ...install],
        ];
  return { install, commands, messages };
}

/** True when `command` is an executable on PATH. */
function onPath(command) {
  return (process.env.PATH ?? '').split(':').some((dir) => dir !== '' && existsSync(`${dir}/${command}`));
}

/**
 * True when node_modules holds every package package-lock.json names, at its version. Compares the
 * content, not modification times: a fresh checkout (or a git worktree sharing node_modules) has a
 * newer package-lock.json than an install that matches it.
 * @param {Record<string, { version?: string }>} wanted  package-lock.json's `packages`
 * @param {Record<string, { version?: string }> | undefined} installed  node_modules/.package-lock.json's
 */
export function dependenciesCurrent(wanted, installed) {
  if (!installed) return false;
  return Object.entries(wanted).every(
    ([path, { version }]) =>
      path === '' || installed[path]?.version === version || isOptionalElsewhere(path, installed, wanted),
  );
}

/** An optional platform package (esbuild's, biome's for another OS) is never installed: not missing. */
function isOptionalElsewhere(path, installed, wanted) {
  return wanted[path]?.optional === true && installed[path] === undefined;
}

function readPackages(url) {
  try {
    return JSON.parse(readFileSync(url, 'utf8')).packages;
  } catch {
    return undefined;
  }
}

function ensureDependencies(root) {
  const wanted = readPackages(new URL('../package-lock.json', import.meta.url)) ?? {};
  const installed = readPackages(new URL('../node_modules/.package-lock.json', import.meta.url));
  if (dependenciesCurrent(wanted, installed)) return;
  const modules = new URL('../node_modules', import.meta.url);
  if (existsSync(modules) && lstatSync(modules).isSymbolicLink()) {
    // npm ci empties the directory a symlinked node_modules points at: never do that to a shared one.
    process.stderr.write(
      'wasmactor: node_modules is a symlink whose packages differ from package-lock.json; run npm ci where it points\n',
    );
    return;
  }
  process.stderr.write('wasmactor: installing dependencies (npm ci)...\n');
  const npm = process.env.npm_execpath ? [process.execPath, [process.env.npm_execpath]] : ['npm', []];
  const result = spawnSync(npm[0], [...npm[1], 'ci', '--no-audit', '--no-fund', '--loglevel=warn'], {
    cwd: root,
    stdio: ['ignore', 2, 2],
  });
  if (result.status !== 0) {
    process.stderr.write('wasmactor: npm ci failed; see the messages above\n');
    process.exit(result.status ?? 1);
  }
}

function ensureTestPackages() {
  const plan = testPackagesPlan({
    env: process.env,
    exists: existsSync,
    isRoot: process.getuid?.() === 0,
    hasAptGet: onPath('apt-get'),
  });
  // Not fatal here: every other test still runs; the tests that need a missing package fail with this line.
  for (const message of plan.messages) process.stderr.write(`wasmactor: ${message}\n`);
  if (plan.commands.length === 0) return;
  process.stderr.write(
    `wasmactor: the tests need Debian's ${plan.install.join(', ')}; installing (${plan.commands.map((c) => c.join(' ')).join(' && ')})...\n`,
  );
  for (const [command, ...args] of plan.commands) {
    const result = spawnSync(command, args, {
      stdio: ['ignore', 2, 2],
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    });
    if (result.status !== 0) {
      process.stderr.write(
        `wasmactor: "${command} ${args.join(' ')}" failed (see above); install ${plan.install.join(' ')} yourself (for chromium, or set ${CHROMIUM_VARIABLE})\n`,
      );
      return;
    }
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  // --deps: the npm packages; --test-packages (or its old name --browser): the Debian packages the tests
  // drive (`pretest` passes both).
  if (process.argv.includes('--deps')) ensureDependencies(fileURLToPath(new URL('..', import.meta.url)));
  if (process.argv.includes('--test-packages') || process.argv.includes('--browser')) ensureTestPackages();
}
