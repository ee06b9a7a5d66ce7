/** Types of scripts/buildStamp.mjs (plain JS, so that bin/wasmactor.js loads it without a loader). */

/** The stamp's name inside dist/. */
export const STAMP_FILE: string;

/** SHA-256 of the build's inputs under `root` (the checkout): every file of src/ and the build's own. */
export function sourcesHash(root: string): string;

/** True when `root`/dist was built from the inputs as they are now (its stamp holds their hash). */
export function distIsCurrent(root: string): boolean;
