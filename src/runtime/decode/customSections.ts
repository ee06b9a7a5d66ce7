/**
 * The top-level custom sections of a component: where they are (to strip the ones jco cannot digest,
 * see prepare/digestible.ts) and the `package-docs` section that wit-component writes (cargo-component,
 * wit-bindgen): one version byte (0), then JSON `{docs?, worlds?: {<world>: {docs?, funcs?,
 * interfaces?, types?}}, interfaces?: {<interface>: {docs?, funcs?, types?}}}` holding the `///` doc
 * comments of the component's own WIT package. Reading never fails a load: a section that is not
 * what it should be gives no docs.
 */

/** One top-level custom section: `[start, end)` is the whole section, id and size included. */
export interface CustomSection {
  name: string;
  start: number;
  end: number;
  /** Offset of the payload (after the name). */
  payload: number;
}

function leb(bytes: Uint8Array, at: number): [number, number] | undefined {
  let value = 0;
  let shift = 0;
  for (let pos = at; pos < bytes.length && shift < 35; pos++) {
    const byte = bytes[pos] as number;
    value += (byte & 0x7f) * 2 ** shift;
    shift += 7;
    if ((byte & 0x80) === 0) return [value, pos + 1];
  }
  return undefined;
}

/** The custom sections of the top-level component (not of nested modules/components). */
export function topLevelCustomSections(bytes: Uint8Array): CustomSection[] {
  const sections: CustomSection[] = [];
  let pos = 8;
  while (pos < bytes.length) {
    const start = pos;
    const id = bytes[pos] as number;
    const size = leb(bytes, pos + 1);
    if (size === undefined) return sections;
    const end = size[1] + size[0];
    if (end > bytes.length) return sections;
    if (id === 0) {
      const nameLength = leb(bytes, size[1]);
      if (nameLength !== undefined && nameLength[1] + nameLength[0] <= end) {
        const name = new TextDecoder().decode(bytes.subarray(nameLength[1], nameLength[1] + nameLength[0]));
        sections.push({ name, start, end, payload: nameLength[1] + nameLength[0] });
      }
    }
    pos = end;
  }
  return sections;
}

/** Name of the section of doc comments written by wit-component. */
export const PACKAGE_DOCS_SECTION = 'package-docs';

/** Docs of an interface (or of a world, which adds `interfaces` of its inline ones). */
interface ItemDocs {
  docs?: string;
  funcs?: Record<string, string>;
  interfaces?: Record<string, ItemDocs>;
}

/** The decoded `package-docs` JSON (only what wasmactor uses). */
export interface PackageDocs {
  docs?: string;
  worlds?: Record<string, ItemDocs>;
  interfaces?: Record<string, ItemDocs>;
}

/** Docs beyond this size are ignored (a description is not a place for megabytes). */
const MAX_DOCS_BYTES = 4 * 2 ** 20;

/** The component's `package-docs`, or undefined when it has none (or one this version cannot read). */
export function readPackageDocs(bytes: Uint8Array): PackageDocs | undefined {
  const section = topLevelCustomSections(bytes).find((s) => s.name === PACKAGE_DOCS_SECTION);
  if (section === undefined || section.end - section.payload > MAX_DOCS_BYTES) return undefined;
  if (bytes[section.payload] !== 0) return undefined; // version 0 is the only one there is
  try {
    const json: unknown = JSON.parse(
      new TextDecoder().decode(bytes.subarray(section.payload + 1, section.end)),
    );
    return typeof json === 'object' && json !== null && !Array.isArray(json)
      ? (json as PackageDocs)
      : undefined;
  } catch {
    return undefined;
  }
}
