/** Decoding of a component binary's type sections into the model that tools are derived from. */
export { decodeComponent } from './decodeComponent.ts';
