/**
 * Caps the linear memory of a core WebAssembly module by rewriting the limits of its memories: every
 * memory the module defines, and every memory it imports, gets `maximum = min(maximum, cap)`. Then
 * `memory.grow` past the cap returns -1 inside the guest (which handles it or traps); the host is not
 * affected. Nothing else in the module changes, so a module that stays below the cap runs as before.
 *
 * Both limits encodings of 32-bit memories are handled (flags 0x00 `min` and 0x01 `min max`), shared
 * memories (0x02/0x03) and 64-bit memories (0x04-0x07). Apply it to every core module of a component:
 * a memory is defined in one module and imported by others, and an import's maximum must be at least
 * that of the memory it is given.
 */
import { Reader } from '../decode/index.ts';
import { RuntimeError } from '../RuntimeError.ts';

const PAGE = 65536;
/** Pages a 32-bit memory can have at most (4 GiB). */
const MAX_PAGES_32 = 65536n;

/** The limits of one memory of a module. */
export interface MemoryLimits {
  /** Where it comes from: `defined`, or `import` with its module and name. */
  origin: 'defined' | 'import';
  /** Initial size in pages. */
  min: bigint;
  /** Maximum size in pages, if the module declares one. */
  max?: bigint;
  is64: boolean;
  shared: boolean;
}

function uleb(value: bigint): number[] {
  const out: number[] = [];
  let rest = value;
  do {
    let b = Number(rest & 0x7fn);
    rest >>= 7n;
    if (rest !== 0n) b |= 0x80;
    out.push(b);
  } while (rest !== 0n);
  return out;
}

/** Reads memory limits at the reader's position. */
function readLimits(r: Reader, origin: MemoryLimits['origin']): MemoryLimits {
  const at = r.pos;
  const flags = r.u8('memory limits flags');
  if (flags & ~0x07) r.fail(`unsupported memory limits flags 0x${flags.toString(16)}`, at);
  const limits: MemoryLimits = {
    origin,
    min: r.u64('memory minimum'),
    is64: (flags & 0x04) !== 0,
    shared: (flags & 0x02) !== 0,
  };
  if (flags & 0x01) limits.max = r.u64('memory maximum');
  return limits;
}

function encodeLimits(limits: MemoryLimits): number[] {
  const flags = (limits.max === undefined ? 0 : 0x01) | (limits.shared ? 0x02 : 0) | (limits.is64 ? 0x04 : 0);
  return [flags, ...uleb(limits.min), ...(limits.max === undefined ? [] : uleb(limits.max))];
}

/** Skips a value type or reference type (including GC `ref null? heaptype` forms). */
function skipValType(r: Reader): void {
  const t = r.u8('value type');
  if (t === 0x63 || t === 0x64) r.skipLeb('heap type', 5); // s33
}

type Patch = { start: number; end: number; limits: MemoryLimits };
type Section = { id: number; start: number; bodyStart: number; end: number };

/** The import section: memories are patched, every other kind is skipped. */
function readImports(s: Reader, onMemory: (patch: Patch) => void): void {
  s.vec('imports', () => {
    s.name('import module name');
    s.name('import name');
    const at = s.pos;
    const kind = s.u8('import kind');
    if (kind === 0x00) s.u32('function type index');
    else if (kind === 0x01) {
      skipValType(s);
      readLimits(s, 'import');
    } else if (kind === 0x02) {
      const start = s.pos;
      const limits = readLimits(s, 'import');
      onMemory({ start, end: s.pos, limits });
    } else if (kind === 0x03) {
      skipValType(s);
      s.u8('global mutability');
    } else if (kind === 0x04) {
      s.u8('tag attribute');
      s.u32('tag type index');
    } else s.fail(`unknown import kind 0x${kind.toString(16)}`, at);
  });
}

/** Walks the module, calling `onMemory` for every memory's limits (with their byte range). */
function walkMemories(bytes: Uint8Array, onMemory: (patch: Patch) => void): { sections: Section[] } {
  if (bytes.length < 8 || bytes[0] !== 0 || bytes[1] !== 0x61 || bytes[2] !== 0x73 || bytes[3] !== 0x6d) {
    throw new RuntimeError('invalid-component', 'not a core WebAssembly module');
  }
  if (bytes[4] !== 1 || bytes[5] !== 0 || bytes[6] !== 0 || bytes[7] !== 0) {
    throw new RuntimeError('invalid-component', 'not a core WebAssembly module (a component?)');
  }
  const r = new Reader(bytes, 8, bytes.length, 'a core module of the component');
  const sections: Section[] = [];
  while (!r.atEnd) {
    const start = r.pos;
    const id = r.u8('section id');
    const size = r.u32('section size');
    const body = r.sub(size, `core module section (id ${id}) at offset ${start}`, 'a section');
    sections.push({ id, start, bodyStart: body.pos, end: body.end });
    if (id === 2) readImports(body, onMemory);
    else if (id === 5) {
      body.vec('memories', () => {
        const at = body.pos;
        const limits = readLimits(body, 'defined');
        onMemory({ start: at, end: body.pos, limits });
      });
    }
  }
  return { sections };
}

/** The limits of every memory a core module imports or defines, in index order. */
export function memoryLimits(coreModule: Uint8Array): MemoryLimits[] {
  const out: MemoryLimits[] = [];
  walkMemories(coreModule, (patch) => out.push(patch.limits));
  return out;
}

/**
 * Returns a copy of `coreModule` whose memories can grow to at most `maxBytes` (rounded down to whole
 * 64 KiB pages). A module that needs more than the cap at start is refused with `invalid-policy`
 * (it could never run under that limit). A module without memories comes back unchanged.
 */
export function capMemory(coreModule: Uint8Array, maxBytes: number): Uint8Array {
  if (!Number.isFinite(maxBytes) || maxBytes < PAGE) {
    throw new RuntimeError('invalid-policy', `a memory limit of ${maxBytes} bytes is below one 64 KiB page`);
  }
  const capPages = BigInt(Math.floor(maxBytes / PAGE));
  const patches: Patch[] = [];
  const { sections } = walkMemories(coreModule, (patch) => patches.push(patch));
  if (patches.length === 0) return coreModule;

  const out: Uint8Array[] = [coreModule.subarray(0, 8)];
  for (const section of sections) {
    const inside = patches.filter((p) => p.start >= section.bodyStart && p.end <= section.end);
    if (inside.length === 0) {
      out.push(coreModule.subarray(section.start, section.end));
      continue;
    }
    const body: Uint8Array[] = [];
    let at = section.bodyStart;
    for (const patch of inside) {
      const { limits } = patch;
      if (limits.min > capPages) {
        throw new RuntimeError(
          'invalid-policy',
          `the memory limit (${maxBytes} bytes) is below the ${limits.min * BigInt(PAGE)} bytes a core module ` +
            'of the component needs at start; raise permissions.resources.limits.memory in its policy, or ' +
            "the server's --max-memory",
        );
      }
      const ceiling = limits.is64 ? capPages : capPages < MAX_PAGES_32 ? capPages : MAX_PAGES_32;
      const max = limits.max === undefined || limits.max > ceiling ? ceiling : limits.max;
      body.push(coreModule.subarray(at, patch.start), Uint8Array.from(encodeLimits({ ...limits, max })));
      at = patch.end;
    }
    body.push(coreModule.subarray(at, section.end));
    const size = body.reduce((n, b) => n + b.length, 0);
    out.push(Uint8Array.from([section.id, ...uleb(BigInt(size))]), ...body);
  }
  const total = out.reduce((n, b) => n + b.length, 0);
  const result = new Uint8Array(total);
  let offset = 0;
  for (const piece of out) {
    result.set(piece, offset);
    offset += piece.length;
  }
  return result;
}

/** Compiles the core modules, each capped at `memoryCap` bytes of linear memory (see `capMemory`). */
export async function compileCoreModules(
  coreFiles: Record<string, Uint8Array>,
  memoryCap: number,
): Promise<Record<string, WebAssembly.Module>> {
  const compiled = Object.entries(coreFiles).map(async ([name, content]) => {
    try {
      const core = capMemory(content, memoryCap);
      return [name, await WebAssembly.compile(core as Uint8Array<ArrayBuffer>)] as const;
    } catch (cause) {
      if (cause instanceof RuntimeError) throw cause;
      throw new RuntimeError(
        'invalid-component',
        `a core module of the component does not compile: ${cause}`,
        {
          cause,
        },
      );
    }
  });
  return Object.fromEntries(await Promise.all(compiled));
}
