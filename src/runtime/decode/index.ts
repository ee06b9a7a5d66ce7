/** Decoding of a component binary's type sections into the model that tools are derived from. */

/** Top-level custom sections (prepare/ strips the ones jco cannot digest). */
export { type CustomSection, PACKAGE_DOCS_SECTION, topLevelCustomSections } from './customSections.ts';
export { checkComponentHeader, decodeComponent } from './decodeComponent.ts';
/** The one bounds-checked byte/LEB128 reader of the runtime (also used on core modules by prepare/). */
export { Reader } from './Reader.ts';
/** Deepest nesting of value types and scopes that decoding accepts (and tools are derived for). */
export { MAX_NESTING } from './scope.ts';
