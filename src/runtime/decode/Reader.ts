/**
 * A bounds-checked cursor over a component binary. Every read knows where it is (which section, at
 * which offset), so a failure can say whether the file was cut short (`truncated`) or is malformed
 * (`invalid-component`).
 */
import { RuntimeError } from '../RuntimeError.ts';

const utf8 = new TextDecoder('utf-8', { fatal: true });

export class Reader {
  pos: number;

  /**
   * @param bytes the whole file
   * @param pos where reading starts
   * @param end where this reader's region (the file, a section) ends
   * @param where a description of the region for messages (`type section at offset 123`)
   */
  constructor(
    readonly bytes: Uint8Array,
    pos: number,
    readonly end: number,
    readonly where: string,
  ) {
    this.pos = pos;
  }

  get atEnd(): boolean {
    return this.pos >= this.end;
  }

  /** A reader over the next `length` bytes; advances past them. */
  sub(length: number, where: string, what: string): Reader {
    if (this.pos + length > this.end) this.overrun(what);
    const reader = new Reader(this.bytes, this.pos, this.pos + length, where);
    this.pos += length;
    return reader;
  }

  /** Throws `invalid-component` naming the offset and the region. */
  fail(message: string, offset = this.pos): never {
    throw new RuntimeError(
      'invalid-component',
      `invalid component: ${message} at offset ${offset} (${this.where})`,
    );
  }

  /** The region ends before `what` does: the file is cut short, or the region's size is wrong. */
  overrun(what: string): never {
    if (this.end >= this.bytes.length) {
      throw new RuntimeError(
        'truncated',
        `the component is truncated: the file ends at offset ${this.bytes.length} in the middle of ${what} (${this.where})`,
      );
    }
    this.fail(`${what} runs past the end of its region, which ends at offset ${this.end}`);
  }

  peek(what: string): number {
    if (this.pos >= this.end) this.overrun(what);
    return this.bytes[this.pos] as number;
  }

  u8(what: string): number {
    if (this.pos >= this.end) this.overrun(what);
    return this.bytes[this.pos++] as number;
  }

  /** Unsigned LEB128 of at most 32 bits. */
  u32(what: string): number {
    const start = this.pos;
    let result = 0;
    let scale = 1;
    for (let i = 0; i < 5; i++) {
      const byte = this.u8(what);
      if (i === 4 && byte > 0x0f) this.fail(`${what} does not fit in 32 bits`, start);
      result += (byte & 0x7f) * scale;
      if ((byte & 0x80) === 0) return result;
      scale *= 128;
    }
    this.fail(`${what} is an over-long LEB128 number`, start);
  }

  /** Unsigned LEB128 of at most 64 bits, as a bigint (the limits of 64-bit memories). */
  u64(what: string): bigint {
    const start = this.pos;
    let result = 0n;
    for (let i = 0; i < 10; i++) {
      const byte = this.u8(what);
      if (i === 9 && byte > 0x01) this.fail(`${what} does not fit in 64 bits`, start);
      result |= BigInt(byte & 0x7f) << BigInt(7 * i);
      if ((byte & 0x80) === 0) return result;
    }
    this.fail(`${what} is an over-long LEB128 number`, start);
  }

  /** Skips a LEB128 number (signed or unsigned) of at most `maxBytes` bytes. */
  skipLeb(what: string, maxBytes: number): void {
    const start = this.pos;
    for (let i = 0; i < maxBytes; i++) {
      if ((this.u8(what) & 0x80) === 0) return;
    }
    this.fail(`${what} is an over-long LEB128 number`, start);
  }

  /** A length-prefixed UTF-8 string. */
  name(what: string): string {
    const length = this.u32(`length of ${what}`);
    const start = this.pos;
    if (start + length > this.end) this.overrun(what);
    this.pos += length;
    try {
      return utf8.decode(this.bytes.subarray(start, start + length));
    } catch {
      this.fail(`${what} is not valid UTF-8`, start);
    }
  }

  skip(length: number, what: string): void {
    if (this.pos + length > this.end) this.overrun(what);
    this.pos += length;
  }

  /** A vector: a u32 count, then `count` items. */
  vec<T>(what: string, item: (index: number) => T): T[] {
    const count = this.u32(`number of ${what}`);
    // Every item takes at least one byte: a huge count in a small region is malformed, not a reason to loop.
    if (count > this.end - this.pos) this.overrun(`${count} ${what}`);
    const items: T[] = [];
    for (let i = 0; i < count; i++) items.push(item(i));
    return items;
  }
}

/** Well-known file signatures, to say what a file that is not WebAssembly looks like. */
const FORMATS: [number[], string][] = [
  [[0x7f, 0x45, 0x4c, 0x46], 'an ELF executable'],
  [[0x25, 0x50, 0x44, 0x46], 'a PDF document'],
  [[0x89, 0x50, 0x4e, 0x47], 'a PNG image'],
  [[0x50, 0x4b, 0x03, 0x04], 'a zip archive'],
  [[0x1f, 0x8b], 'a gzip file'],
  [[0xff, 0xd8, 0xff], 'a JPEG image'],
];

/**
 * The name of a well-known format the bytes start with (`a PDF document`), or undefined. Never the
 * bytes themselves: a path may name any readable file, and messages must not echo its content.
 */
export function describeFormat(bytes: Uint8Array): string | undefined {
  return FORMATS.find(([magic]) => magic.every((byte, i) => bytes[i] === byte))?.[1];
}
