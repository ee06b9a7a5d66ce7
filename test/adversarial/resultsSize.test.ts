/**
 * The measure behind the result cap: `jsonByteLength` is the UTF-8 size of `JSON.stringify`, for any
 * JSON value (escapes, multi-byte characters, lone surrogates included), and stops early, and exactly
 * when, the value is over the limit. Also the `--max-result-size` parser and the size wording.
 */
import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { formatSize, parseMaxResultSize } from '../../src/mcp/callResult.ts';
import { jsonByteLength } from '../../src/mcp/jsonSize.ts';

/** Any UTF-16 unit (lone surrogates and control characters too), or any code point. */
const anyString = fc.oneof(
  fc.string({ unit: fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c)) }),
  fc.string({ unit: 'binary' }),
);
const anyJson = fc.jsonValue({
  stringUnit: fc.oneof(
    fc.constantFrom('"', '\\', '\n', '\u0001', '\ud800', 'é', '😀'),
    fc.string({ unit: 'binary', maxLength: 1 }),
  ),
});

const bytesOf = (value: unknown) => Buffer.byteLength(JSON.stringify(value), 'utf8');

describe('jsonByteLength', () => {
  test.prop([anyString])('is the UTF-8 size of JSON.stringify for any string', (s) => {
    expect(jsonByteLength(s)).toBe(bytesOf(s));
  });

  test.prop([anyJson])('is the UTF-8 size of JSON.stringify for any JSON value', (value) => {
    expect(jsonByteLength(value)).toBe(bytesOf(value));
  });

  test.prop([anyJson, fc.nat({ max: 400 })])(
    'with a limit: exact when within it, above it exactly when the value is',
    (value, limit) => {
      const size = bytesOf(value);
      const measured = jsonByteLength(value, limit);
      if (size <= limit) expect(measured).toBe(size);
      else {
        expect(measured).toBeGreaterThan(limit);
        expect(measured).toBeLessThanOrEqual(size);
      }
    },
  );

  it('leaves out what JSON.stringify leaves out, as it does', () => {
    const value = { a: undefined, b: [undefined, () => 1], c: Number.NaN, d: -0, e: 1e21 };
    expect(jsonByteLength(value)).toBe(bytesOf(value));
  });

  it('measures a value nested far deeper than the stack allows to recurse', () => {
    let value: unknown = 'x';
    for (let i = 0; i < 200_000; i++) value = [value];
    expect(jsonByteLength(value)).toBe(3 + 2 * 200_000);
  });

  it('names the size of one big string over the limit exactly', () => {
    const big = 'x'.repeat(10 * 1024 * 1024);
    expect(jsonByteLength(big, 4 * 1024 * 1024)).toBe(big.length + 2);
  });
});

describe('--max-result-size', () => {
  it('takes bytes or a quantity', () => {
    expect(parseMaxResultSize('4194304')).toBe(4 * 1024 * 1024);
    expect(parseMaxResultSize('4Mi')).toBe(4 * 1024 * 1024);
    expect(parseMaxResultSize('16M')).toBe(16_000_000);
    expect(parseMaxResultSize('1Gi')).toBe(1024 ** 3);
  });

  it('refuses what is not a size, or below 64Ki, naming the flag and the form', () => {
    for (const bad of ['', 'lots', '-1', '4 MiB', '1Ki']) {
      const message = parseMaxResultSize(bad);
      expect(typeof message).toBe('string');
      expect(message).toContain('--max-result-size');
      expect(message).toContain('4Mi');
    }
  });
});

describe('formatSize', () => {
  it('gives the exact bytes and a readable unit', () => {
    expect(formatSize(100)).toBe('100 bytes');
    expect(formatSize(64 * 1024)).toBe('65536 bytes (64 KiB)');
    expect(formatSize(10 * 1024 * 1024 + 2)).toBe('10485762 bytes (10 MiB)');
    expect(formatSize(1.5 * 1024 ** 3)).toBe('1610612736 bytes (1.5 GiB)');
  });
});
