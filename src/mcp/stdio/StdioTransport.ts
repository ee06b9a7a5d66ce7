/**
 * The MCP stdio transport of `wasmactor serve`, in place of the SDK's `StdioServerTransport` (same
 * `Transport` contract, same constructor): lines are read in linear time with a size limit
 * ({@link LineReader}), every line that is not a message gets the JSON-RPC error it calls for
 * ({@link decodeLine}), and nothing but the handshake runs before the handshake ({@link InitializeGate}).
 */
import type { Readable, Writable } from 'node:stream';
import type { JSONRPCMessage, Transport } from '@modelcontextprotocol/server';
import { log } from '../../runtime/index.ts';
import { decodeLine, type ErrorReply, errorReply, INVALID_REQUEST } from './decodeLine.ts';
import { InitializeGate } from './InitializeGate.ts';
import { LineReader } from './LineReader.ts';

/** Default largest message (one line), in bytes. */
export const DEFAULT_MAX_MESSAGE_BYTES = 256 * 1024 * 1024;

/** Options of {@link StdioTransport}. */
export interface StdioTransportOptions {
  /**
   * Largest JSON-RPC message (one line, bytes). A longer line is discarded as it arrives and answered
   * with a -32600 error; the connection stays open. The name is the SDK transport's, whose option this
   * replaces (there it bounded the read buffer and closed the connection when exceeded).
   */
  maxBufferSize?: number;
}

function mib(bytes: number): string {
  return `${Math.round((bytes / (1024 * 1024)) * 10) / 10} MiB`;
}

/** Reads JSON-RPC lines from `stdin` and writes them to `stdout`. */
export class StdioTransport implements Transport {
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: (message: JSONRPCMessage) => void;

  private readonly reader: LineReader;
  private readonly gate = new InitializeGate();
  private readonly maxMessageBytes: number;
  private started = false;
  private closed = false;

  constructor(
    private readonly stdin: Readable,
    private readonly stdout: Writable,
    options: StdioTransportOptions = {},
  ) {
    this.maxMessageBytes = options.maxBufferSize ?? DEFAULT_MAX_MESSAGE_BYTES;
    this.reader = new LineReader(this.maxMessageBytes, {
      line: (bytes) => this.onLine(bytes),
      tooLarge: (bytes, id) => this.onTooLarge(bytes, id),
    });
  }

  /** Starts reading stdin. */
  async start(): Promise<void> {
    if (this.started) throw new Error('StdioTransport already started');
    this.started = true;
    if (this.stdin.readableEnded || this.stdin.destroyed) setImmediate(this.onStdinClose);
    this.stdin.on('data', this.onData);
    this.stdin.on('error', this.onStdinError);
    this.stdin.on('end', this.onStdinClose);
    this.stdin.on('close', this.onStdinClose);
    this.stdout.on('error', this.onStdoutError);
  }

  /** Stops reading; pending partial input is dropped. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.stdin.off('data', this.onData);
    this.stdin.off('error', this.onStdinError);
    this.stdin.off('end', this.onStdinClose);
    this.stdin.off('close', this.onStdinClose);
    // Late write failures after close are expected (the peer went away): keep swallowing them.
    if (this.stdin.listenerCount('data') === 0) this.stdin.pause();
    this.reader.clear();
    this.onclose?.();
  }

  /** Writes one message as a line; resolves once stdout accepted it (or drained). */
  send(message: JSONRPCMessage): Promise<void> {
    if (this.closed) return Promise.reject(new Error('StdioTransport is closed'));
    this.gate.sent(message);
    return this.write(message);
  }

  /**
   * Writes one line. Most writes are taken at once (a pipe's stdout is written synchronously on Linux)
   * and cost no listener: only a write that fills the buffer waits, with the others that wait, for one
   * 'drain' (or the stream's error, which rejects them all; see `onStdoutError`).
   */
  private write(message: JSONRPCMessage | ErrorReply): Promise<void> {
    const line = `${JSON.stringify(message)}\n`;
    if (this.stdout.write(line)) return Promise.resolve();
    return new Promise((resolve, reject) => {
      this.draining.push({ resolve, reject });
      if (this.draining.length === 1) this.stdout.once('drain', this.onDrain);
    });
  }

  /** The sends waiting for stdout's 'drain'. */
  private draining: { resolve: () => void; reject: (error: Error) => void }[] = [];

  private readonly onDrain = (): void => {
    const waiting = this.draining;
    this.draining = [];
    for (const send of waiting) send.resolve();
  };

  /** Answers a line that is not a deliverable message; failures to write are reported, not thrown. */
  private reply(reply: ErrorReply): void {
    if (this.closed) return;
    this.write(reply).catch((error: Error) => this.onerror?.(error));
  }

  private readonly onData = (chunk: Buffer): void => {
    try {
      this.reader.push(chunk);
    } catch (error) {
      this.onerror?.(error as Error);
    }
  };

  private onLine(bytes: Buffer): void {
    const decoded = decodeLine(bytes);
    if (decoded.kind === 'ignore') {
      if (decoded.reason) log.warn('ignored a line on stdin', { reason: decoded.reason });
      return;
    }
    if (decoded.kind === 'reply') {
      log.warn('answered a line that is not a JSON-RPC message', {
        code: decoded.reply.error.code,
        id: decoded.reply.id,
        bytes: bytes.length,
      });
      this.reply(decoded.reply);
      return;
    }
    const refusal = this.gate.check(decoded.message);
    if (refusal) {
      log.warn('refused a request sent before the handshake', { id: refusal.id });
      this.reply(refusal);
      return;
    }
    try {
      this.onmessage?.(decoded.message);
    } catch (error) {
      this.onerror?.(error as Error);
    }
  }

  private onTooLarge(bytes: number, id: string | number | undefined): void {
    log.warn('discarded a message over the size limit', { bytes, limit: this.maxMessageBytes, id });
    this.reply(
      errorReply(
        id ?? null,
        INVALID_REQUEST,
        `Request too large: the message was ${mib(bytes)}, over the server's limit of ${mib(this.maxMessageBytes)} (${this.maxMessageBytes} bytes), and was discarded. Send smaller arguments (a file path instead of the file's content, or several calls).`,
      ),
    );
  }

  private readonly onStdinError = (error: Error): void => {
    this.onerror?.(error);
  };

  private readonly onStdoutError = (error: Error): void => {
    const waiting = this.draining;
    this.draining = [];
    this.stdout.off('drain', this.onDrain);
    for (const send of waiting) send.reject(error);
    if (this.closed) return;
    this.onerror?.(error);
    this.close().catch(() => {});
  };

  private readonly onStdinClose = (): void => {
    this.close().catch(() => {});
  };
}
