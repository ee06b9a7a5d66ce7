// Installs the project's dependencies when they are missing or older than package-lock.json, so that
// `npm start` and `npm test` work on a fresh clone without a separate install step. Plain JS with no
// imports beyond Node's own: it runs before anything is installed. npm's output goes to stderr, because
// `npm start` serves MCP on stdout.
import { spawnSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const installed = new URL('../node_modules/.package-lock.json', import.meta.url);
const lock = new URL('../package-lock.json', import.meta.url);

if (!existsSync(installed) || statSync(installed).mtimeMs < statSync(lock).mtimeMs) {
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
