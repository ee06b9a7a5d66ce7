/** The `serve` flags of remote sources: the download time limit and the download cache. */
import { resolve } from 'node:path';
import { parseDuration } from '../http/index.ts';
import { defaultBlobCacheDir } from '../sources/index.ts';

/** Their lines of `serve --help`. */
const usage = `  --download-timeout DUR     time limit of one https:// or oci:// download (default 5m; 90s, 1h...)
  --download-cache DIR       downloads kept by digest (default $XDG_CACHE_HOME/wasmactor/blobs)`;

/** Their `parseArgs` options. */
const options = {
  'download-timeout': { type: 'string', default: '5m' },
  'download-cache': { type: 'string' },
} as const;

/** What they ask for, in the names of `WasmactorServerOptions`. */
export interface DownloadFlags {
  downloadTimeoutMs: number;
  downloadCacheDir: string;
}

/** The flags' values, or the message that refuses one. */
function parse(values: {
  'download-timeout': string;
  'download-cache'?: string | undefined;
}): DownloadFlags | string {
  const downloadTimeoutMs = parseDuration('--download-timeout', values['download-timeout']);
  if (typeof downloadTimeoutMs === 'string') return downloadTimeoutMs;
  return { downloadTimeoutMs, downloadCacheDir: resolve(values['download-cache'] ?? defaultBlobCacheDir()) };
}

/** The download flags of `serve`: its usage lines, its `parseArgs` options, and `parse(values)`. */
export const downloadFlags = { usage, options, parse };
