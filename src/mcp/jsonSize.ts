/**
 * The size of a value's JSON, measured without serializing it: a result is checked against the cap
 * before anything is built from it, so a value over the cap is never copied into a string at all.
 */

/** Characters that `JSON.stringify` writes as more than their UTF-8 bytes, or that UTF-8 counts apart. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: JSON escapes exactly the control characters.
const SPECIAL = /["\\\u0000-\u001f\ud800-\udfff]/;

/** Bytes of `s` as a JSON string literal (`JSON.stringify(s)` in UTF-8), quotes included. */
function stringSize(s: string): number {
  // Buffer.byteLength counts a lone surrogate as the 3 bytes of U+FFFD; JSON writes it as `\udXXX`.
  let size = Buffer.byteLength(s, 'utf8') + 2;
  if (!SPECIAL.test(s)) return size;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x22 || c === 0x5c || c === 0x08 || c === 0x0c || c === 0x0a || c === 0x0d || c === 0x09) {
      size += 1; // `\"`, `\\`, `\b`, `\f`, `\n`, `\r`, `\t`: two bytes for one
    } else if (c < 0x20) {
      size += 5; // `\u00XX`: six bytes for one
    } else if (c >= 0xd800 && c <= 0xdbff) {
      // A pair's 4 UTF-8 bytes are already counted; a lone high surrogate is six bytes instead of three.
      const next = s.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) i++;
      else size += 3;
    } else if (c >= 0xdc00 && c <= 0xdfff) {
      size += 3; // a lone low surrogate
    }
  }
  return size;
}

/** Whether `JSON.stringify` leaves out an object property with this value (and writes `null` in an array). */
function omitted(value: unknown): boolean {
  return value === undefined || typeof value === 'function' || typeof value === 'symbol';
}

/**
 * The UTF-8 byte length of `JSON.stringify(value)`, for plain JSON values (what the runtime hands over:
 * no `toJSON` methods, no cycles). Measuring stops as soon as the size exceeds `limit`: the answer is then some size above `limit`
 * that the value has at least (exact when the last thing measured was a string without escapes, as for
 * one big string). Each string longer than what is left of the limit is not scanned character by
 * character, so the work stays bounded by the limit. Iterative: a deeply nested value cannot overflow
 * the stack.
 */
export function jsonByteLength(value: unknown, limit = Number.POSITIVE_INFINITY): number {
  let size = 0;
  const pending: unknown[] = [value];
  while (pending.length > 0) {
    const v = pending.pop();
    if (v === null || omitted(v)) size += 4;
    else if (typeof v === 'string') {
      // Every UTF-16 unit is at least one byte: a string that long cannot fit, and its exact size
      // without escapes is cheap (native), so that is what the caller gets to report.
      size += v.length + 2 > limit - size ? Buffer.byteLength(v, 'utf8') + 2 : stringSize(v);
    } else if (typeof v === 'number') size += Number.isFinite(v) ? String(v).length : 4;
    else if (typeof v === 'boolean') size += v ? 4 : 5;
    else if (Array.isArray(v)) {
      size += 2 + Math.max(0, v.length - 1);
      for (const item of v) pending.push(item);
    } else if (typeof v === 'object') {
      const entries = Object.entries(v).filter(([, item]) => !omitted(item));
      size += 2 + Math.max(0, entries.length - 1);
      for (const [key, item] of entries) {
        size += stringSize(key) + 1;
        pending.push(item);
      }
    } else {
      // A bigint, which plain JSON values never hold: its digits.
      size += String(v).length;
    }
    if (size > limit) return size;
  }
  return size;
}
