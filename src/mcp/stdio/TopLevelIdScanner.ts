/**
 * Finds the top-level `"id"` of a JSON object that is too large to parse, in one pass with constant
 * memory, so that an over-long request can still be answered with its own id. Bytes inside strings are
 * skipped with `indexOf` (the bulk of a large request is one long string argument). Keys written with
 * escapes (`"\u0069d"`) are not recognised: the answer then carries id null, as JSON-RPC allows.
 */

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;
const COLON = 0x3a;
const COMMA = 0x2c;
/** Longest id kept (bytes of its JSON text); a longer one is treated as unknown. */
const MAX_ID_BYTES = 1024;

function isWhitespace(byte: number): boolean {
  return byte === 0x20 || byte === 0x09 || byte === 0x0a || byte === 0x0d;
}

/** Streaming scanner: `feed` the bytes of one line in order, then read `id()`. */
export class TopLevelIdScanner {
  private depth = 0;
  private started = false;
  private finished = false;
  private inString = false;
  private escaped = false;
  /** At depth 1 of the top-level object: the next string is a key. */
  private expectKey = false;
  /** Bytes of the key or id value being read, when one is being read. */
  private captured: number[] | undefined;
  private capturing: 'key' | 'string-id' | 'number-id' | undefined;
  private lastKeyIsId = false;
  private idValueNext = false;
  private found: string | number | undefined;

  /** The last top-level id seen so far (a string or an integer), if any. */
  id(): string | number | undefined {
    if (this.capturing === 'number-id') this.finishNumber();
    return this.found;
  }

  /** Scans the next bytes of the line. */
  feed(bytes: Buffer): void {
    let i = 0;
    const n = bytes.length;
    let nextBackslash = -2;
    while (i < n && !this.finished) {
      if (this.inString) {
        if (this.escaped) {
          this.escaped = false;
          this.keep(bytes[i] as number);
          i++;
          continue;
        }
        if (this.capturing === undefined) {
          // Skip the string's body natively: jump to its next quote or backslash.
          const quote = bytes.indexOf(QUOTE, i);
          if (nextBackslash !== -1 && nextBackslash < i) nextBackslash = bytes.indexOf(BACKSLASH, i);
          const stop =
            quote === -1 ? nextBackslash : nextBackslash === -1 ? quote : Math.min(quote, nextBackslash);
          if (stop === -1) return;
          i = stop;
        }
        const byte = bytes[i] as number;
        if (byte === BACKSLASH) {
          this.escaped = true;
          this.keep(byte);
        } else if (byte === QUOTE) {
          this.inString = false;
          this.endString();
        } else {
          this.keep(byte);
        }
        i++;
        continue;
      }
      this.structural(bytes[i] as number);
      i++;
    }
  }

  private keep(byte: number): void {
    if (!this.captured) return;
    if (this.captured.length < MAX_ID_BYTES) this.captured.push(byte);
    else if (this.capturing !== 'key') this.captured = undefined; // an id this long is not kept
  }

  private structural(byte: number): void {
    if (this.capturing === 'number-id') {
      if (!isWhitespace(byte) && byte !== COMMA && byte !== CLOSE_OBJECT) {
        this.keep(byte);
        return;
      }
      this.finishNumber();
    }
    if (isWhitespace(byte)) return;
    if (!this.started) {
      this.started = true;
      if (byte !== OPEN_OBJECT) {
        this.finished = true;
        return;
      }
      this.depth = 1;
      this.expectKey = true;
      return;
    }
    const valueOfId = this.idValueNext && this.depth === 1;
    this.idValueNext = false;
    if (byte === QUOTE) {
      this.inString = true;
      if (this.depth === 1 && this.expectKey) this.startCapture('key');
      else if (valueOfId) this.startCapture('string-id');
      return;
    }
    if (valueOfId) {
      // A number starts the id; anything else (null, an object...) is not a valid id.
      this.found = undefined;
      if (byte === 0x2d || (byte >= 0x30 && byte <= 0x39)) {
        this.startCapture('number-id');
        this.keep(byte);
        return;
      }
    }
    if (byte === OPEN_OBJECT || byte === OPEN_ARRAY) this.depth++;
    else if (byte === CLOSE_OBJECT || byte === CLOSE_ARRAY) {
      this.depth--;
      if (this.depth === 0) this.finished = true;
    } else if (this.depth === 1 && byte === COLON) {
      this.expectKey = false;
      this.idValueNext = this.lastKeyIsId;
    } else if (this.depth === 1 && byte === COMMA) this.expectKey = true;
  }

  private startCapture(kind: 'key' | 'string-id' | 'number-id'): void {
    this.capturing = kind;
    this.captured = [];
  }

  private endString(): void {
    const kind = this.capturing;
    const text = this.captured ? Buffer.from(this.captured).toString('utf8') : undefined;
    this.capturing = undefined;
    this.captured = undefined;
    if (kind === 'key') this.lastKeyIsId = text === 'id';
    else if (kind === 'string-id') this.found = text === undefined ? undefined : decodeString(text);
  }

  private finishNumber(): void {
    const text = this.captured ? Buffer.from(this.captured).toString('latin1') : '';
    this.capturing = undefined;
    this.captured = undefined;
    const value = Number(text);
    this.found = text !== '' && Number.isSafeInteger(value) ? value : undefined;
  }
}

function decodeString(body: string): string | undefined {
  try {
    return JSON.parse(`"${body}"`) as string;
  } catch {
    return undefined;
  }
}
