// Whether dist/ was built from the sources of this checkout. `npm run build` (scripts/build.mjs) records
// the hash of its inputs in dist/build-stamp.json; bin/wasmactor.js, in a checkout, runs dist/ only when
// the inputs hash the same now (else src/ through tsx), and `prestart` builds when they do not. A hash
// of the contents, not modification times: a file copied with its old time, a `git checkout` of an
// older commit or an edit within the clock's resolution cannot make a stale dist/ pass for fresh.
// Plain JS with Node's own modules only: bin/wasmactor.js loads it before anything else.
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** The stamp's name inside dist/. */
export const STAMP_FILE = 'build-stamp.json';

/** The inputs of the build besides src/ (the build's own code and the settings esbuild reads). */
const INPUTS = ['scripts/build.mjs', 'scripts/buildStamp.mjs', 'tsconfig.json', 'package.json'];

/** Every file under `dir`, relative to `root`, `/`-separated, sorted. */
function filesUnder(root, dir) {
  return readdirSync(join(root, dir), { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => `${join(entry.parentPath ?? entry.path, entry.name).slice(root.length + 1)}`)
    .map((path) => path.split('\\').join('/'))
    .sort();
}

/**
 * SHA-256 of the build's inputs under `root` (the checkout): every file of src/ and INPUTS, each as its
 * path, its length and its bytes, so that a file added, removed, renamed or changed changes the hash.
 * @param {string} root the checkout's directory, without a trailing separator
 * @returns {string}
 */
export function sourcesHash(root) {
  const hash = createHash('sha256');
  for (const path of [...filesUnder(root, 'src'), ...INPUTS]) {
    const bytes = readFileSync(join(root, path));
    hash.update(`${path}\0${bytes.length}\0`);
    hash.update(bytes);
  }
  return hash.digest('hex');
}

/**
 * True when `root`/dist was built from the inputs as they are now (its stamp holds their hash).
 * @param {string} root the checkout's directory, without a trailing separator
 * @returns {boolean}
 */
export function distIsCurrent(root) {
  let stamp;
  try {
    stamp = JSON.parse(readFileSync(join(root, 'dist', STAMP_FILE), 'utf8'));
  } catch {
    return false; // no dist/, or one from before stamps, or a torn one: not provably current
  }
  return typeof stamp?.sources === 'string' && stamp.sources === sourcesHash(root);
}
