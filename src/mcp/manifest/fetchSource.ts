/**
 * The bytes of a manifest entry's source. Files are read here (bounded like `load-component` reads
 * them); remote sources (https, oci) go through the component loader's remote sources.
 */
import { readComponentSource } from '../../runtime/index.ts';
import { McpError } from '../McpError.ts';
import type { ManifestSource } from './types.ts';

/** Reads a source's bytes; the signature `syncManifest` takes (tests give their own). */
export type SourceFetcher = (
  source: ManifestSource,
  options: { maxComponentSize: number },
) => Promise<Uint8Array>;

/** The default fetcher: files only until remote sources land in the loader. */
export const fetchSource: SourceFetcher = async (source, { maxComponentSize }) => {
  if (source.kind === 'file') {
    return (await readComponentSource({ path: source.path }, { maxComponentSize })).bytes;
  }
  throw new McpError(
    'source-invalid',
    `${source.reference}: ${source.kind === 'oci' ? 'oci://' : 'https://'} sources are not supported by this build yet; download the .wasm and give its path as source`,
  );
};
