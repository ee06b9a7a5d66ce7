/**
 * The open `/api/events` server-sent-event streams. Changes are coalesced into at most one push per
 * interval; each push sends a client the snapshot and only the log entries it has not seen. A client that
 * stops reading is skipped, then closed, so the server's memory stays bounded whatever clients do.
 */
import type { ServerResponse } from 'node:http';
import type { ComponentHost } from '../machines/index.ts';
import type { Inspector } from './Inspector.ts';
import { takeSnapshot } from './snapshot.ts';

/** At most this many `/api/events` streams are open at once; one more is answered 503. */
export const MAX_EVENT_STREAMS = 16;
/** A stream with more output than this waiting for its client is skipped until it drains. */
const MAX_BUFFERED_BYTES = 1024 * 1024;
/** A comment line this often keeps proxies and browsers from timing an idle stream out. */
const HEARTBEAT_MS = 15_000;

/** One open `/api/events` response. */
interface EventStream {
  res: ServerResponse;
  /** The newest log seq this client has been sent; each push sends it only what came after. */
  sentSeq: number;
  /** When a push first had to skip it (its client is not reading); cleared when it drains. */
  stuckSince?: number;
  /** A push skipped it: it is due one as soon as it drains. */
  missed: boolean;
}

/** What the streams show and how often. */
export interface EventStreamsOptions {
  host: ComponentHost;
  inspector: Inspector;
  /** Pushes are coalesced to at most one per this many ms. */
  pushIntervalMs: number;
  /** A stream whose client has not read for this many ms is closed. */
  stalledStreamMs: number;
}

/** The set of open event streams; listens to the inspector from construction until `close()`. */
export class EventStreams {
  readonly #streams = new Set<EventStream>();
  readonly #options: EventStreamsOptions;
  readonly #unsubscribe: () => void;
  readonly #heartbeat: NodeJS.Timeout;
  #pushTimer: NodeJS.Timeout | undefined;

  constructor(options: EventStreamsOptions) {
    this.#options = options;
    this.#unsubscribe = options.inspector.onChange(() => this.#schedulePush());
    this.#heartbeat = setInterval(() => {
      const now = Date.now();
      for (const stream of [...this.#streams])
        if (this.#writable(stream, now)) stream.res.write(': ping\n\n');
    }, HEARTBEAT_MS);
    this.#heartbeat.unref();
  }

  /** True when no more streams may be opened. */
  get full(): boolean {
    return this.#streams.size >= MAX_EVENT_STREAMS;
  }

  /** Sends `res` (headers already written) the current state, then keeps it updated until it closes. */
  open(res: ServerResponse): void {
    const { host, inspector } = this.#options;
    const stream: EventStream = { res, sentSeq: inspector.seq, missed: false };
    const init = JSON.stringify({ snapshot: takeSnapshot(host, inspector), log: inspector.log() });
    res.write(`retry: 1000\nevent: init\ndata: ${init}\n\n`);
    this.#streams.add(stream);
    res.on('drain', () => {
      stream.stuckSince = undefined;
      if (stream.missed) this.#schedulePush();
    });
    res.on('close', () => this.#streams.delete(stream));
  }

  /** Stops listening and ends every stream. */
  close(): void {
    this.#unsubscribe();
    clearInterval(this.#heartbeat);
    if (this.#pushTimer) clearTimeout(this.#pushTimer);
    for (const stream of this.#streams) stream.res.end();
    this.#streams.clear();
  }

  #schedulePush(): void {
    if (this.#streams.size > 0 && this.#pushTimer === undefined) {
      this.#pushTimer = setTimeout(() => this.#push(), this.#options.pushIntervalMs);
    }
  }

  /**
   * True when `stream` can take a write now. A client that does not read makes its output pile up in
   * the server (the socket keeps whatever the kernel will not take); such a stream is skipped, and
   * destroyed once it has been stuck for `stalledStreamMs`.
   */
  #writable(stream: EventStream, now: number): boolean {
    const { res } = stream;
    if (res.writableLength <= MAX_BUFFERED_BYTES && !res.writableNeedDrain) {
      stream.stuckSince = undefined;
      return true;
    }
    stream.missed = true;
    stream.stuckSince ??= now;
    if (now - stream.stuckSince >= this.#options.stalledStreamMs) {
      this.#streams.delete(stream);
      res.destroy();
    }
    return false;
  }

  #push(): void {
    this.#pushTimer = undefined;
    if (this.#streams.size === 0) return;
    const { host, inspector } = this.#options;
    const now = Date.now();
    const snapshot = takeSnapshot(host, inspector);
    const seq = inspector.seq;
    const bySince = new Map<number, string>(); // clients that have seen the same log share one message
    for (const stream of [...this.#streams]) {
      if (!this.#writable(stream, now)) continue;
      let message = bySince.get(stream.sentSeq);
      if (message === undefined) {
        const data = JSON.stringify({ snapshot, log: inspector.log({ since: stream.sentSeq }) });
        message = `event: update\ndata: ${data}\n\n`;
        bySince.set(stream.sentSeq, message);
      }
      stream.sentSeq = seq;
      stream.missed = false;
      stream.res.write(message);
    }
  }
}
