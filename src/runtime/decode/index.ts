/** Decoding of a component binary's type sections into the model that tools are derived from. */
export { checkComponentHeader, decodeComponent } from './decodeComponent.ts';
/** The one bounds-checked byte/LEB128 reader of the runtime (also used on core modules by prepare/). */
export { Reader } from './Reader.ts';
/** Deepest nesting of value types and scopes that decoding accepts (and tools are derived for). */
export { MAX_NESTING } from './scope.ts';
