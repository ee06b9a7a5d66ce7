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

class Reader {
  constructor(
    readonly bytes: Uint8Array,
    public at = 0,
  ) {}

  byte(): number {
    const b = this.bytes[this.at];
    if (b === undefined) throw new RuntimeError('invalid-component', 'core module ends early');
    this.at += 1;
    return b;
  }

  uleb(): bigint {
    let result = 0n;
    let shift = 0n;
    for (;;) {
      const b = this.byte();
      result |= BigInt(b & 0x7f) << shift;
      shift += 7n;
      if ((b & 0x80) === 0) return result;
    }
  }

  skipName(): void {
    const length = Number(this.uleb());
    this.at += length;
  }
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

/** Reads memory limits at the reader's position; returns them and where they ended. */
function readLimits(r: Reader, origin: MemoryLimits['origin']): MemoryLimits {
  const flags = r.byte();
  if (flags & ~0x07) {
    throw new RuntimeError('invalid-component', `unsupported memory limits flags 0x${flags.toString(16)}`);
  }
  const limits: MemoryLimits = {
    origin,
    min: r.uleb(),
    is64: (flags & 0x04) !== 0,
    shared: (flags & 0x02) !== 0,
  };
  if (flags & 0x01) limits.max = r.uleb();
  return limits;
}

function encodeLimits(limits: MemoryLimits): number[] {
  const flags = (limits.max === undefined ? 0 : 0x01) | (limits.shared ? 0x02 : 0) | (limits.is64 ? 0x04 : 0);
  return [flags, ...uleb(limits.min), ...(limits.max === undefined ? [] : uleb(limits.max))];
}

/** Skips a value type or reference type (including GC `ref null? heaptype` forms). */
function skipValType(r: Reader): void {
  const t = r.byte();
  if (t === 0x63 || t === 0x64) r.uleb(); // heap type (s33; its LEB bytes skip the same way)
}

type Patch = { start: number; end: number; limits: MemoryLimits };

/** Walks the module, calling `onMemory` for every memory's limits (with their byte range). */
function walkMemories(
  bytes: Uint8Array,
  onMemory: (patch: Patch) => void,
): { sections: { id: number; start: number; bodyStart: number; end: number }[] } {
  if (bytes.length < 8 || bytes[0] !== 0 || bytes[1] !== 0x61 || bytes[2] !== 0x73 || bytes[3] !== 0x6d) {
    throw new RuntimeError('invalid-component', 'not a core WebAssembly module');
  }
  if (bytes[4] !== 1 || bytes[5] !== 0 || bytes[6] !== 0 || bytes[7] !== 0) {
    throw new RuntimeError('invalid-component', 'not a core WebAssembly module (a component?)');
  }
  const r = new Reader(bytes, 8);
  const sections: { id: number; start: number; bodyStart: number; end: number }[] = [];
  while (r.at < bytes.length) {
    const start = r.at;
    const id = r.byte();
    const size = Number(r.uleb());
    const bodyStart = r.at;
    const end = bodyStart + size;
    sections.push({ id, start, bodyStart, end });
    if (id === 2) {
      const s = new Reader(bytes, bodyStart);
      const count = Number(s.uleb());
      for (let i = 0; i < count; i++) {
        s.skipName();
        s.skipName();
        const kind = s.byte();
        if (kind === 0x00) s.uleb();
        else if (kind === 0x01) {
          skipValType(s);
          readLimits(s, 'import');
        } else if (kind === 0x02) {
          const at = s.at;
          const limits = readLimits(s, 'import');
          onMemory({ start: at, end: s.at, limits });
        } else if (kind === 0x03) {
          skipValType(s);
          s.byte();
        } else if (kind === 0x04) {
          s.byte();
          s.uleb();
        } else throw new RuntimeError('invalid-component', `unknown import kind 0x${kind.toString(16)}`);
      }
    } else if (id === 5) {
      const s = new Reader(bytes, bodyStart);
      const count = Number(s.uleb());
      for (let i = 0; i < count; i++) {
        const at = s.at;
        const limits = readLimits(s, 'defined');
        onMemory({ start: at, end: s.at, limits });
      }
    }
    r.at = end;
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
            'of the component needs at start; raise permissions.resources.limits.memory',
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
