/**
 * The base64 form of `list<u8>` (issue 15 item 6): checked in one linear pass, so that a large argument
 * neither overflows the stack (a regular expression with a repeated group did, above ~7.5 MB) nor takes
 * quadratic time, and the schema's pattern is one that a validator can run over megabytes.
 */
import { describe, expect, it } from 'vitest';
import type { WitType } from '../../src/runtime/types.ts';
import { BASE64_SCHEMA_PATTERN, isBase64 } from '../../src/runtime/wit/base64.ts';
import { toGuest } from '../../src/runtime/wit/rules.ts';
import type { HandleTable } from '../../src/runtime/wit/toolDefinitions.ts';

const MiB = 1024 * 1024;
const bytes: WitType = { kind: 'list', element: { kind: 'u8' } };
/** `list<u8>` has no resources: a table that any use fails. */
const noHandles: HandleTable = {
  toGuest: () => {
    throw new Error('no resources here');
  },
  fromGuest: () => {
    throw new Error('no resources here');
  },
};

describe('isBase64', () => {
  it('accepts standard base64 with padding, and nothing else', () => {
    for (const good of [
      '',
      'AAAA',
      'AAH/',
      'AA==',
      'AAA=',
      'ab+/09Zz',
      Buffer.from('hello').toString('base64'),
    ])
      expect(isBase64(good), good).toBe(true);
    for (const bad of [
      'A',
      'AA',
      'AAA',
      'AAAAA',
      'A===',
      '====',
      '=AAA',
      'AA=A',
      'AB-_',
      'AA\nA',
      'ÀAAA',
      'AAA ',
      'AAAA=',
    ])
      expect(isBase64(bad), JSON.stringify(bad)).toBe(false);
  });

  it('accepts exactly what the former regular expression accepted, on every short string', () => {
    // The former check, fine on short strings: it is the oracle for the language, not for the size.
    const former = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
    const alphabet = ['A', '/', '+', '=', '-', 'z', '9', ' '];
    let strings = [''];
    for (let length = 1; length <= 5; length++) {
      strings = strings.flatMap((s) => alphabet.map((c) => s + c));
      for (const s of strings) expect(isBase64(s), JSON.stringify(s)).toBe(former.test(s));
    }
  });

  it('checks 10 MB of base64 (and one bad character at its end) without overflowing the stack', () => {
    const good = Buffer.alloc(10 * MiB, 0xa5).toString('base64');
    expect(isBase64(good)).toBe(true);
    expect(isBase64(`${good.slice(0, -4)}AA!=`)).toBe(false);
  });

  it('advertises a schema pattern that runs over 10 MB of base64 (the validator of the MCP server)', () => {
    const good = Buffer.alloc(10 * MiB, 1).toString('base64');
    expect(new RegExp(BASE64_SCHEMA_PATTERN, 'u').test(good)).toBe(true);
    expect(new RegExp(BASE64_SCHEMA_PATTERN, 'u').test(`${good}!`)).toBe(false);
  });
});

describe('list<u8> from base64', () => {
  it('converts a 10 MB base64 argument to the same bytes', () => {
    const original = new Uint8Array(10 * MiB);
    for (let i = 0; i < original.length; i++) original[i] = (i * 31) & 0xff;
    const converted = toGuest(bytes, Buffer.from(original).toString('base64'), 'v', noHandles);
    expect(converted).toBeInstanceOf(Uint8Array);
    expect(Buffer.compare(converted as Uint8Array, original)).toBe(0);
  });
});
