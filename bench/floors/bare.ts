/**
 * The floors that use jco directly, in this thread: transpile + compile (what a cold load cannot avoid),
 * and an instance made from jco's glue without a worker or our sandbox (what a call cannot avoid). Also
 * distinct copies of a component (a custom section added to every core module), so that each copy
 * misses every cache (ours and V8's, which shares the compiled code of identical bytes).
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { transpileBytes } from '@bytecodealliance/jco-transpile';
import { WASIShim } from '@bytecodealliance/preview2-shim/instantiation';
import { patchGlue } from '../../src/runtime/prepare/transpileCache.ts';

export type Exports = Record<string, ((...a: unknown[]) => unknown) | undefined>;
type Instantiate = (
  getCoreModule: (name: string) => WebAssembly.Module,
  imports: Record<string, unknown>,
  instantiateCore: (m: WebAssembly.Module, i: WebAssembly.Imports) => WebAssembly.Instance,
) => Exports;

/** Transpiles and compiles `bytes` (the cold-load floor); returns what `bareInstances` needs. */
export async function transpileAndCompile(
  bytes: Uint8Array,
): Promise<{ files: Record<string, Uint8Array>; modules: Record<string, WebAssembly.Module> }> {
  const { files } = await transpileBytes(bytes, { name: 'component', instantiation: 'async' });
  const modules: Record<string, WebAssembly.Module> = {};
  for (const [name, content] of Object.entries(files)) {
    if (name.endsWith('.wasm')) modules[name] = await WebAssembly.compile(content as Uint8Array<ArrayBuffer>);
  }
  return { files: files as Record<string, Uint8Array>, modules };
}

/** A maker of bare in-thread instances of `bytes` (jco's glue, a plain WASI shim, no worker). */
export async function bareInstances(bytes: Uint8Array, dir: string): Promise<() => Exports> {
  const { files, modules } = await transpileAndCompile(bytes);
  const gluePath = join(dir, `bare-${Math.random().toString(36).slice(2)}.mjs`);
  await writeFile(gluePath, patchGlue(new TextDecoder().decode(files['component.js'])));
  const { instantiate } = (await import(pathToFileURL(gluePath).href)) as { instantiate: Instantiate };
  return () =>
    instantiate(
      (name) => modules[name] as WebAssembly.Module,
      new WASIShim({ sandbox: { env: {}, preopens: {}, enableNetwork: false } }).getImportObject(),
      (m, i) => new WebAssembly.Instance(m, i),
    );
}

/** A function the bare glue exports; a missing one would make a floor that does nothing. */
export function exported(exports: Exports, name: string): (...a: unknown[]) => unknown {
  const fn = exports[name];
  if (typeof fn !== 'function') throw new Error(`the bare instance exports no function ${name}`);
  return fn;
}

function readLeb(bytes: Uint8Array, at: number): { value: number; next: number } {
  let value = 0;
  let shift = 0;
  let pos = at;
  for (;;) {
    const byte = bytes[pos++] as number;
    value += (byte & 0x7f) * 2 ** shift;
    shift += 7;
    if (!(byte & 0x80)) return { value, next: pos };
  }
}

function leb(value: number): number[] {
  const out: number[] = [];
  let rest = value;
  do {
    let byte = rest & 0x7f;
    rest = Math.floor(rest / 128);
    if (rest) byte |= 0x80;
    out.push(byte);
  } while (rest);
  return out;
}

/** The component with `tag` added (as a custom section) to every core module at its top level. */
export function distinctCopy(component: Uint8Array, tag: string): Uint8Array {
  const name = new TextEncoder().encode('wasmactor-bench');
  const payload = new TextEncoder().encode(tag);
  const custom = [0, ...leb(leb(name.length).length + name.length + payload.length), ...leb(name.length)];
  const extra = Uint8Array.from([...custom, ...name, ...payload]);
  const parts: Uint8Array[] = [component.subarray(0, 8)];
  let pos = 8;
  let modules = 0;
  while (pos < component.length) {
    const id = component[pos] as number;
    const { value: size, next } = readLeb(component, pos + 1);
    const body = component.subarray(next, next + size);
    if (id === 1) {
      // A core module section: its body is a whole core module, which may end with custom sections.
      parts.push(Uint8Array.from([1, ...leb(size + extra.length)]), body, extra);
      modules++;
    } else {
      parts.push(component.subarray(pos, next + size));
    }
    pos = next + size;
  }
  if (modules === 0) throw new Error('the component has no top-level core module to tag');
  return Buffer.concat(parts);
}
