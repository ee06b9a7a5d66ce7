/**
 * Per-instance stdio: stdout/stderr are captured into bounded buffers (never the process stdout, which
 * belongs to the MCP protocol) and stdin is served from fixed bytes. The stream classes subclass the
 * shim's `OutputStream`/`InputStream` because the jco glue checks `instanceof` against the classes of
 * `wasi:io/streams`, which are the shim's.
 */
import { clocks, io } from '@bytecodealliance/preview2-shim';
import { symbolDispose } from './resources.ts';

/** The default cap on bytes kept per call, for stdout and for stderr each. */
export const DEFAULT_OUTPUT_LIMIT = 64 * 1024;

const WRITE_BUDGET = 1n << 20n;

/** The shim's `InputStream`, as far as `splice` uses it. */
type ShimInputStream = { read(len: bigint): Uint8Array; blockingRead(len: bigint): Uint8Array };

// The shim's classes are typed as interfaces with private members; subclass them through a plain
// constructor type.
const ShimOutputStreamClass = io.streams.OutputStream as unknown as new () => object;
const ShimInputStreamClass = io.streams.InputStream as unknown as new () => object;

/** A pollable that is ready at once: our streams never block. */
function readyPollable(): unknown {
  return clocks.monotonicClock.subscribeDuration(0n);
}

/** Bytes written to one stream since the last `take()`, up to `limit`. */
export class OutputBuffer {
  #chunks: Uint8Array[] = [];
  #size = 0;
  #truncated = false;

  constructor(readonly limit: number) {}

  write(bytes: Uint8Array): void {
    const room = this.limit - this.#size;
    if (bytes.byteLength > room) this.#truncated = true;
    if (room <= 0) return;
    const kept = bytes.byteLength > room ? bytes.subarray(0, room) : bytes;
    // Copy: the glue may hand us a view on guest memory that changes after the call.
    this.#chunks.push(kept.slice());
    this.#size += kept.byteLength;
  }

  /** Returns the text written since the last take (UTF-8, lossy) and starts afresh. */
  take(): { text: string; truncated: boolean } {
    const all = Buffer.concat(this.#chunks, this.#size);
    const result = { text: new TextDecoder().decode(all), truncated: this.#truncated };
    this.#chunks = [];
    this.#size = 0;
    this.#truncated = false;
    return result;
  }
}

/** An `output-stream` that appends to an `OutputBuffer`. */
export class CapturedOutputStream extends ShimOutputStreamClass {
  readonly #buffer: OutputBuffer;

  constructor(buffer: OutputBuffer) {
    super();
    this.#buffer = buffer;
  }

  checkWrite(): bigint {
    return WRITE_BUDGET;
  }
  write(contents: Uint8Array): void {
    this.#buffer.write(contents);
  }
  blockingWriteAndFlush(contents: Uint8Array): void {
    this.#buffer.write(contents);
  }
  flush(): void {}
  blockingFlush(): void {}
  writeZeroes(len: bigint): void {
    this.#buffer.write(new Uint8Array(Math.min(Number(len), this.#buffer.limit + 1)));
  }
  blockingWriteZeroesAndFlush(len: bigint): void {
    this.writeZeroes(len);
  }
  splice(src: ShimInputStream, len: bigint): bigint {
    const bytes = src.read(len);
    this.#buffer.write(bytes);
    return BigInt(bytes.byteLength);
  }
  blockingSplice(src: ShimInputStream, len: bigint): bigint {
    const bytes = src.blockingRead(len);
    this.#buffer.write(bytes);
    return BigInt(bytes.byteLength);
  }
  subscribe(): unknown {
    return readyPollable();
  }
  // The buffer belongs to the sandbox, not to one handle: dropping a handle closes nothing.
  [symbolDispose](): void {}
}

/** Fixed stdin bytes, shared by every `input-stream` handle of one sandbox. */
export class StdinSource {
  #bytes: Uint8Array;
  #offset = 0;

  constructor(bytes: Uint8Array | undefined) {
    this.#bytes = bytes ?? new Uint8Array(0);
  }

  read(len: bigint): Uint8Array {
    if (this.#offset >= this.#bytes.byteLength) throw { tag: 'closed' };
    const end = Math.min(this.#bytes.byteLength, this.#offset + Number(len));
    const chunk = this.#bytes.slice(this.#offset, end);
    this.#offset = end;
    return chunk;
  }
}

/** An `input-stream` that reads from a `StdinSource`. */
export class MemoryInputStream extends ShimInputStreamClass {
  readonly #source: StdinSource;

  constructor(source: StdinSource) {
    super();
    this.#source = source;
  }

  read(len: bigint): Uint8Array {
    return this.#source.read(len);
  }
  blockingRead(len: bigint): Uint8Array {
    return this.#source.read(len);
  }
  skip(len: bigint): bigint {
    return BigInt(this.#source.read(len).byteLength);
  }
  blockingSkip(len: bigint): bigint {
    return this.skip(len);
  }
  subscribe(): unknown {
    return readyPollable();
  }
  [symbolDispose](): void {}
}
