/**
 * `wasmactor component sync --manifest FILE`: makes the component directory match a manifest without
 * a server (src/mcp/manifest/syncManifest.ts), so that `wasmactor serve` restores exactly that set.
 */
import { resolve } from 'node:path';
import { defaultMaxComponentSize } from '../../runtime/index.ts';
import { ComponentStore, defaultComponentDir } from '../ComponentStore.ts';
import { McpError } from '../McpError.ts';
import { type Manifest, readManifest, sourceFetcher, syncManifest } from '../manifest/index.ts';
import { BlobCache } from '../sources/index.ts';
import type { CommandIo } from './CommandIo.ts';
import { fail, out, parseCommand } from './commandArgs.ts';
import { downloadFlags } from './downloadFlags.ts';
import { grantGuard, sizeFlag } from './serverFlags.ts';

export const syncUsage = `Usage: wasmactor component sync --manifest FILE [options]

Makes the component directory hold exactly the components of the manifest (see examples/manifest.yaml):
loads what is missing or changed (source, digest, stateful flag, permissions), keeps what already is
as the manifest says without downloading it again (a local file is read, to see whether it was rebuilt),
and deletes the components the manifest does not name. \`wasmactor serve\` then restores that set.
Exits 1 when a component cannot be synced (the others are), 2 when the manifest is invalid.

Options:
  --manifest FILE            the manifest (required)
  --component-dir DIR        the component directory (default $XDG_DATA_HOME/wasmactor/components)
  --max-component-size SIZE  largest component read (default 256Mi)
  --allow-broad-grants       allow storage grants of /, the home directory... in the manifest
${downloadFlags.usage}
  --log-level LEVEL          debug | info | warn | error | silent (default warn)
  -h, --help                 show this help
`;

const NAME = 'component sync';

const OPTIONS = {
  manifest: { type: 'string' },
  'component-dir': { type: 'string' },
  'max-component-size': { type: 'string', default: String(defaultMaxComponentSize) },
  'allow-broad-grants': { type: 'boolean', default: false },
  'log-level': { type: 'string', default: 'warn' },
  ...downloadFlags.options,
} as const;

/** Runs `wasmactor component sync ...` (the arguments after `sync`); resolves to the exit code. */
export async function syncCommand(args: string[], io: CommandIo): Promise<number> {
  const parsed = parseCommand({ name: NAME, usage: syncUsage, options: OPTIONS }, args, io);
  if (typeof parsed === 'number') return parsed;
  const { values, positionals } = parsed;
  if (positionals.length > 0)
    return fail(io, NAME, `unexpected argument "${positionals[0]}"\n\n${syncUsage}`);
  if (values.manifest === undefined) return fail(io, NAME, `--manifest FILE is required\n\n${syncUsage}`);
  const maxComponentSize = sizeFlag('--max-component-size', values['max-component-size']);
  if (typeof maxComponentSize === 'string') return fail(io, NAME, maxComponentSize);
  const downloads = downloadFlags.parse(values);
  if (typeof downloads === 'string') return fail(io, NAME, downloads);
  const componentDir = resolve(values['component-dir'] ?? defaultComponentDir());
  const guard = grantGuard({ componentDir, allowBroadGrants: values['allow-broad-grants'] });
  let manifest: Manifest;
  try {
    manifest = await readManifest(values.manifest, guard);
  } catch (error) {
    if (error instanceof McpError) return fail(io, NAME, error.message);
    throw error;
  }
  const store = await ComponentStore.open(componentDir, { maxComponentBytes: maxComponentSize });
  const fetch = sourceFetcher({
    timeoutMs: downloads.downloadTimeoutMs,
    cache: new BlobCache(downloads.downloadCacheDir),
  });
  const report = await syncManifest(manifest, store, { removeOthers: true, maxComponentSize, fetch });
  for (const id of report.loaded) out(io, `loaded  ${id}`);
  for (const { id, changed } of report.updated) out(io, `updated ${id} (${changed.join(', ')})`);
  for (const id of report.kept) out(io, `kept    ${id}`);
  for (const id of report.removed) out(io, `removed ${id}`);
  for (const failure of report.failed) io.stderr.write(`wasmactor ${NAME}: ${failure.message}\n`);
  const counts = `${report.loaded.length} loaded, ${report.updated.length} updated, ${report.kept.length} kept, ${report.removed.length} removed`;
  if (report.failed.length > 0) {
    return fail(io, NAME, `${report.failed.length} failed (${counts}) in ${store.dir}`, 1);
  }
  out(io, `${store.dir} matches ${manifest.path}: ${counts}`);
  return 0;
}
