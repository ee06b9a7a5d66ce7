/**
 * The progress of one load as the client sees it: bytes while downloading, then the load's own steps.
 * MCP wants `progress` to grow with every notification, so the steps after a download count on from the
 * number of bytes received (`bytes + step` of `bytes + steps`).
 */
import type { ByteProgress } from '../sources/index.ts';
import type { ProgressSink } from '../types.ts';

/** Fewest milliseconds between two download notifications (the last one is always sent). */
const DOWNLOAD_INTERVAL_MS = 100;

function mebibytes(bytes: number): string {
  return bytes < 1024 * 1024 ? `${bytes} bytes` : `${(bytes / (1024 * 1024)).toFixed(1)} MiB`;
}

/** The two halves of a load's progress. */
export interface LoadProgress {
  /** For the download: `downloading <source>: N of M bytes`, at most every 100 ms plus the last. */
  download: ByteProgress | undefined;
  /** For the load steps after it. */
  steps: ProgressSink | undefined;
}

/** Splits `sink` (undefined when the client sent no progress token) for a load of `source`. */
export function loadProgress(sink: ProgressSink | undefined, source: string): LoadProgress {
  if (sink === undefined) return { download: undefined, steps: undefined };
  let offset = 0;
  let last = 0;
  let sent = 0;
  const download: ByteProgress = (received, total) => {
    offset = received;
    const now = Date.now();
    const finished = total !== undefined && received >= total;
    if (received <= sent || (!finished && now - last < DOWNLOAD_INTERVAL_MS)) return;
    last = now;
    sent = received;
    const of = total === undefined ? '' : ` of ${mebibytes(total)}`;
    sink({ message: `downloading ${source}: ${mebibytes(received)}${of}`, progress: received, total });
  };
  const steps: ProgressSink = ({ message, progress, total }) =>
    sink({
      message,
      progress: offset + progress,
      ...(total === undefined ? {} : { total: offset + total }),
    });
  return { download, steps };
}
