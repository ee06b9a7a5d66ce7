import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { workerEntry } from '../../src/runtime/worker/entry.ts';
import { WorkerClient } from '../../src/runtime/worker/WorkerClient.ts';

describe('workerEntry', () => {
  it('bundles the worker host into plain JavaScript beside node_modules', async () => {
    const entry = await workerEntry();
    expect(fileURLToPath(entry)).toMatch(
      /node_modules\/\.cache\/wasmactor\/instanceWorker-[0-9a-f]{16}\.mjs$/,
    );
    expect(await workerEntry()).toBe(entry);
  });

  it.each([
    ['the bundle', async () => workerEntry()],
    [
      'the tsx fallback',
      async () => new URL('../../src/runtime/worker/instanceWorker.boot.js', import.meta.url),
    ],
  ])('%s boots a worker that answers', async (_name, entryOf) => {
    const worker = new WorkerClient(await entryOf());
    try {
      const reply = await worker.request({ type: 'dispose', instanceId: 42 }, { timeoutMs: 20_000 });
      expect(reply).toMatchObject({ type: 'done' });
    } finally {
      await worker.terminate();
    }
  });
});
