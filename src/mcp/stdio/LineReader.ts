/**
 * Splits a byte stream into lines in linear time with bounded memory. The SDK's `ReadBuffer` copied the
 * whole pending buffer on every chunk (`Buffer.concat`) and searched it from the start for '\n' each
 * time: reading one line of n bytes cost O(n²/chunk) (a 100 MiB line took 42 s). Here the chunks of an
 * unfinished line wait in a list, only the new bytes are searched, and a finished line is joined once.
 * A line longer than the limit is not kept: its bytes are dropped as they arrive (only a small scanner
 * looks for its top-level "id") until its '\n', and then reported, so the next line is read normally.
 */
import { TopLevelIdScanner } from './TopLevelIdScanner.ts';

const NEWLINE = 0x0a;

/** What the reader found in the stream. */
export interface LineSink {
  /** A complete line, without its '\n'. */
  line(bytes: Buffer): void;
  /** A line longer than the limit ended; `id` is its top-level JSON-RPC id when one was seen. */
  tooLarge(bytes: number, id: string | number | undefined): void;
}

/** Incremental line splitter: `push` each chunk as it arrives. */
export class LineReader {
  private chunks: Buffer[] = [];
  private pending = 0;
  /** Set while the rest of an over-long line is being dropped. */
  private dropping: { scanner: TopLevelIdScanner; bytes: number } | undefined;

  /** @param maxLineBytes the largest line that is delivered (bytes, without the '\n') */
  constructor(
    private readonly maxLineBytes: number,
    private readonly sink: LineSink,
  ) {}

  /** Feeds one chunk; calls the sink for every line it completes. */
  push(chunk: Buffer): void {
    let start = 0;
    while (start < chunk.length) {
      const newline = chunk.indexOf(NEWLINE, start);
      const end = newline === -1 ? chunk.length : newline;
      this.take(chunk.subarray(start, end));
      if (newline === -1) return;
      this.endLine();
      start = newline + 1;
    }
  }

  /** Forgets any unfinished line. */
  clear(): void {
    this.chunks = [];
    this.pending = 0;
    this.dropping = undefined;
  }

  private take(part: Buffer): void {
    if (part.length === 0) return;
    if (this.dropping) {
      this.dropping.scanner.feed(part);
      this.dropping.bytes += part.length;
      return;
    }
    if (this.pending + part.length <= this.maxLineBytes) {
      this.chunks.push(part);
      this.pending += part.length;
      return;
    }
    // Over the limit: what was kept so far is scanned once and released; the rest is scanned as it comes.
    const scanner = new TopLevelIdScanner();
    for (const kept of this.chunks) scanner.feed(kept);
    scanner.feed(part);
    this.dropping = { scanner, bytes: this.pending + part.length };
    this.chunks = [];
    this.pending = 0;
  }

  private endLine(): void {
    if (this.dropping) {
      const { scanner, bytes } = this.dropping;
      this.dropping = undefined;
      this.sink.tooLarge(bytes, scanner.id());
      return;
    }
    const chunks = this.chunks;
    const length = this.pending;
    this.chunks = [];
    this.pending = 0;
    this.sink.line(chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, length));
  }
}
