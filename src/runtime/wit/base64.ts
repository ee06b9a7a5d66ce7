/**
 * The base64 form of `list<u8>` arguments, checked in one pass over the string. A regular expression
 * with a repeated group (`(?:[A-Za-z0-9+/]{4})*`) backtracks recursively in V8 and overflowed the
 * stack above ~7.5 MB of base64 ("Maximum call stack size exceeded", issue 15).
 */

/**
 * What the input schema advertises: the base64 alphabet with at most two `=` at the end. A superset of
 * valid base64 (it does not check the length), without a repeated group, so that a validator running
 * it over many megabytes neither recurses nor backtracks; `isBase64` is the exact check.
 */
export const BASE64_SCHEMA_PATTERN = '^[A-Za-z0-9+/]*={0,2}$';

/** 1 for the 64 characters of the standard alphabet (`A-Z a-z 0-9 + /`), by char code. */
const ALPHABET = new Uint8Array(128);
for (const c of 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/')
  ALPHABET[c.charCodeAt(0)] = 1;
const EQUALS = '='.charCodeAt(0);

/**
 * True when `text` is standard base64 with padding (length a multiple of 4, `=` only as the last one or
 * two characters). Linear, no allocation.
 */
export function isBase64(text: string): boolean {
  const length = text.length;
  if (length % 4 !== 0) return false;
  let end = length;
  if (end > 0 && text.charCodeAt(end - 1) === EQUALS) end--;
  if (end > 0 && end === length - 1 && text.charCodeAt(end - 1) === EQUALS) end--;
  for (let i = 0; i < end; i++) {
    const code = text.charCodeAt(i);
    if (code >= 128 || ALPHABET[code] !== 1) return false;
  }
  return true;
}
