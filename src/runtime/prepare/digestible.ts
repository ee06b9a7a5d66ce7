/**
 * The component as jco can transpile it. jco's transpiler reads a top-level `package-docs` custom
 * section (wit-component writes one for cargo-component and wit-bindgen builds) and then fails with
 * `missing world "..."`, because it names worlds of the source WIT package that the decoded component
 * does not have. Custom sections hold no code and no types: removing them never changes what the
 * component does, only what jco reads. Only the top-level custom sections listed in `INDIGESTIBLE` are
 * removed; every other byte stays. The docs themselves were already read (decode/customSections.ts).
 */
import { PACKAGE_DOCS_SECTION, topLevelCustomSections } from '../decode/index.ts';

/** Custom sections that jco's transpiler cannot digest. */
const INDIGESTIBLE = new Set([PACKAGE_DOCS_SECTION]);

/** `bytes` without the top-level custom sections jco fails on; `bytes` itself when it has none. */
export function digestibleBytes(bytes: Uint8Array): Uint8Array {
  const drop = topLevelCustomSections(bytes).filter((s) => INDIGESTIBLE.has(s.name));
  if (drop.length === 0) return bytes;
  const kept = new Uint8Array(bytes.length - drop.reduce((n, s) => n + (s.end - s.start), 0));
  let from = 0;
  let to = 0;
  for (const section of drop) {
    kept.set(bytes.subarray(from, section.start), to);
    to += section.start - from;
    from = section.end;
  }
  kept.set(bytes.subarray(from), to);
  return kept;
}
