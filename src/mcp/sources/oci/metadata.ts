/**
 * Annotations from a component's own metadata: the custom sections that `wasm-tools metadata add`
 * (the `wasm-metadata` crate) writes at the top level of a component, each a UTF-8 string, named after
 * the OCI annotation they stand for.
 */
import { topLevelCustomSections } from '../../../runtime/index.ts';
import { ANNOTATION_DESCRIPTION, ANNOTATION_VERSION } from './mediaTypes.ts';

/** Custom section -> manifest annotation. */
const SECTIONS: Record<string, string> = {
  description: ANNOTATION_DESCRIPTION,
  version: ANNOTATION_VERSION,
  authors: 'org.opencontainers.image.authors',
  licenses: 'org.opencontainers.image.licenses',
  source: 'org.opencontainers.image.source',
  homepage: 'org.opencontainers.image.url',
  revision: 'org.opencontainers.image.revision',
};

/** Longest metadata string carried into an annotation (a manifest is no place for a book). */
const MAX_LENGTH = 4096;

/** The annotations that the component's metadata sections give (none when it has none). */
export function metadataAnnotations(bytes: Uint8Array): Record<string, string> {
  const annotations: Record<string, string> = {};
  const decoder = new TextDecoder('utf-8', { fatal: true });
  for (const section of topLevelCustomSections(bytes)) {
    const annotation = SECTIONS[section.name];
    if (annotation === undefined || section.end - section.payload > MAX_LENGTH) continue;
    try {
      const text = decoder.decode(bytes.subarray(section.payload, section.end)).trim();
      if (text !== '') annotations[annotation] = text;
    } catch {
      // Not UTF-8: not metadata wasm-metadata wrote; left out.
    }
  }
  return annotations;
}
