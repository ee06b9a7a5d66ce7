/**
 * A loaded component keeps no copy of its bytes (issue 15, memory): the load reads them, then the spec
 * that stays in the component actor's context lets them go. A path source is kept as it is.
 */
import { describe, expect, it } from 'vitest';
import { ComponentHost } from '../../src/machines/ComponentHost.ts';
import type { ComponentSource, PreparedComponent, PrepareOptions } from '../../src/runtime/types.ts';
import { FakeRuntime } from './fakeRuntime.ts';

/** The fake runtime, reading the bytes of what it prepares as the real one does. */
class ReadingRuntime extends FakeRuntime {
  readonly read: number[] = [];
  readonly sources: ComponentSource[] = [];

  override async prepare(source: ComponentSource, options?: PrepareOptions): Promise<PreparedComponent> {
    this.sources.push(source);
    if ('bytes' in source) this.read.push(source.bytes.length);
    return super.prepare(source, options);
  }
}

function specSource(host: ComponentHost, id: string): ComponentSource | undefined {
  return host.system.getSnapshot().context.components[id]?.ref.getSnapshot().context.spec?.source;
}

describe('the bytes of a loaded component', () => {
  it('are read by the load and not kept once it has ended; calls and reloads still work', async () => {
    const runtime = new ReadingRuntime();
    const host = new ComponentHost({ runtime });
    try {
      const sha256 = 'cd'.repeat(32);
      await host.load({
        id: 'c',
        source: { bytes: new Uint8Array(1000), name: 'c.wasm', sha256 },
        stateful: true,
      });
      expect(runtime.read).toEqual([1000]);
      // the caller's digest reaches the runtime with the bytes (it hashes them once)
      expect(runtime.sources[0]).toMatchObject({ name: 'c.wasm', sha256 });
      const kept = specSource(host, 'c') as { bytes: Uint8Array };
      expect(() => kept.bytes).toThrow(/let go once it had loaded; load it again/);
      expect(() => (runtime.sources[0] as { bytes: Uint8Array }).bytes).toThrow(/let go/);
      expect(await host.call('increment', {})).toMatchObject({ ok: true, value: 1 });
      // a reload brings its own bytes
      await host.load({ id: 'c', source: { bytes: new Uint8Array(7), name: 'c.wasm' }, stateful: true });
      expect(runtime.read).toEqual([1000, 7]);
      expect(await host.call('increment', {})).toMatchObject({ ok: true, value: 1 });
    } finally {
      await host.stop();
    }
  });

  it('are let go after a failed load too; a path source is kept', async () => {
    const runtime = new ReadingRuntime({ failInstantiate: () => true });
    const host = new ComponentHost({ runtime });
    try {
      await expect(
        host.load({ id: 'c', source: { bytes: new Uint8Array(3) }, stateful: true }),
      ).rejects.toMatchObject({ code: 'load-failed' });
      expect(() => (runtime.sources[0] as { bytes: Uint8Array }).bytes).toThrow(/let go/);
      await host.load({ id: 'p', source: { path: '/x/p.wasm' }, stateful: false });
      expect(specSource(host, 'p')).toEqual({ path: '/x/p.wasm' });
    } finally {
      await host.stop();
    }
  });
});
