/**
 * A call's abort listener lives exactly as long as the call: one on the caller's signal while the call is
 * queued or running, none once it is answered — with a value, with an error, or after a cancel. An MCP
 * client's signal is per request, but a caller that reuses one signal for many calls must not collect a
 * listener per call.
 */
import { getEventListeners } from 'node:events';
import { describe, expect, it } from 'vitest';
import { ComponentHost } from '../../src/machines/ComponentHost.ts';
import { createDeferred } from '../../src/machines/deferred.ts';
import { FakeRuntime, fakeSource } from './fakeRuntime.ts';

const listeners = (signal: AbortSignal) => getEventListeners(signal, 'abort').length;

describe('ComponentHost call abort listener', () => {
  it('is on the signal while the call waits or runs, and gone once it is answered', async () => {
    let open = createDeferred<void>();
    const runtime = new FakeRuntime({ gate: () => open.promise });
    const host = new ComponentHost({ runtime });
    await host.load({ id: 'c', source: fakeSource, stateful: true });
    const shared = new AbortController().signal;
    // A value, then a WIT-less failure (`trap` faults the instance), on one reused signal.
    const first = host.call('increment', {}, { signal: shared });
    const second = host.call('trap', {}, { signal: shared });
    expect(listeners(shared)).toBe(2);
    open.deferred.resolve();
    await first;
    open = createDeferred<void>();
    open.deferred.resolve();
    await expect(second).rejects.toMatchObject({ code: 'state-lost' });
    expect(listeners(shared)).toBe(0);
    await host.stop();
  });

  it('is gone after a cancel, and the cancel still reaches the call', async () => {
    const runtime = new FakeRuntime({ gate: () => new Promise(() => {}) });
    const host = new ComponentHost({ runtime, cancelGraceMs: 10 });
    await host.load({ id: 'c', source: fakeSource, stateful: false });
    const controller = new AbortController();
    const call = host.call('increment', {}, { signal: controller.signal });
    expect(listeners(controller.signal)).toBe(1);
    controller.abort();
    await expect(call).rejects.toMatchObject({ code: 'cancelled' });
    expect(listeners(controller.signal)).toBe(0);
    await host.stop();
  });
});
