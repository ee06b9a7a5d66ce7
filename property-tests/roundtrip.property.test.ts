/**
 * Round trip through a real guest: for every type kind in the kitchen-sink component, random JSON values
 * valid under the generated schema go JSON -> guest (identity functions) -> JSON and come back unchanged.
 * 200 runs per function, for the world-level functions and the same ones in `local:kitchen/types`.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type ComponentInstance,
  type ExportedFunction,
  type Json,
  type PreparedComponent,
  prepareComponent,
  toolName,
  type WitType,
} from '../src/runtime/index.ts';
import { arbitraryJsonFor } from '../test/helpers/arbitraries.ts';
import { fixturePath } from '../test/helpers/fixtures.ts';

const runs = 200;

/**
 * Values the componentize-js 0.23 guest itself gets wrong (not our conversion, which the unit tests
 * show on both sides): it returns u32 values >= 2^31 wrongly and traps on a negative s64 result
 * (ComponentizeJS issue #343); and in `variant shape { circle(f64), rect(point) }` a negative `x` of
 * `rect` (the flat slot it shares with the f64) comes back as 0 even through jco alone, without
 * wasmactor. These values are left out here; everything else is random.
 *
 * And the guest's bindings decode strings with a default `TextDecoder`, which drops a leading U+FEFF
 * as a byte-order mark, so a string that starts with one comes back without it. Such runs are left out
 * (`startsWithBom`); the host itself keeps the character (test/runtime/prepareComponent.test.ts, through
 * a WAT guest that echoes the bytes).
 */
function startsWithBom(args: Record<string, Json>): boolean {
  // JSON.stringify leaves U+FEFF unescaped: a string value or key that starts with it shows as `"\ufeff`.
  return JSON.stringify(args).includes('"\ufeff');
}

function guestSafe(type: WitType): fc.Arbitrary<Json> {
  if (type.kind === 'u32') return fc.integer({ min: 0, max: 2 ** 31 - 1 });
  if (type.kind === 's64') {
    return fc
      .bigInt({ min: 0n, max: 2n ** 63n - 1n })
      .map((b): Json => (Number.isSafeInteger(Number(b)) ? Number(b) : b.toString()));
  }
  return arbitraryJsonFor(type);
}

let cacheDir: string;
let component: PreparedComponent;
let instance: ComponentInstance;

beforeAll(async () => {
  cacheDir = await mkdtemp(join(tmpdir(), 'wasmactor-roundtrip-'));
  component = await prepareComponent({ path: fixturePath('kitchen-sink') }, { cacheDir });
  instance = await component.instantiate({});
});

afterAll(async () => {
  await instance?.dispose();
  await component?.dispose();
  await rm(cacheDir, { recursive: true, force: true });
});

function echoFunctions(): ExportedFunction[] {
  return component.types.functions.filter((f) => f.name.startsWith('echo-'));
}

describe('JSON -> guest -> JSON round trip (kitchen-sink, 200 runs per function)', () => {
  it('covers every echo function at world level and in local:kitchen/types', () => {
    const fns = echoFunctions();
    expect(fns.filter((f) => f.interface === undefined).length).toBeGreaterThanOrEqual(25);
    expect(fns.filter((f) => f.interface === 'local:kitchen/types').length).toBeGreaterThanOrEqual(25);
  });

  it('returns every value unchanged', async () => {
    for (const fn of echoFunctions()) {
      const tool = toolName(fn);
      const params = fn.params;
      const argsArb = fc.record(
        Object.fromEntries(params.map((p) => [p.name, guestSafe(p.type)])) as Record<
          string,
          fc.Arbitrary<Json>
        >,
      );
      await fc.assert(
        fc.asyncProperty(argsArb, async (args) => {
          const v = args.v as { tag?: string; val?: { x?: number } } | undefined;
          fc.pre(!startsWithBom(args));
          fc.pre(!(fn.name === 'echo-variant' && v?.tag === 'rect' && (v.val?.x ?? 0) < 0));
          const outcome = await instance.call(tool, args);
          if (fn.name.startsWith('echo-result')) {
            const fail = args.fail === true;
            const payload = fn.name === 'echo-result' ? args.v : null;
            if (fail) expect(outcome).toMatchObject({ ok: false, error: { err: payload } });
            else expect(outcome).toMatchObject({ ok: true, value: { ok: payload } });
            return;
          }
          expect(outcome.ok, `${tool}(${JSON.stringify(args)})`).toBe(true);
          // toEqual: the arbitrary builds records without a prototype; the values must be equal, not their prototypes.
          if (outcome.ok) expect(outcome.value).toEqual(args.v);
        }),
        { numRuns: runs },
      );
    }
  }, 300_000);
});
