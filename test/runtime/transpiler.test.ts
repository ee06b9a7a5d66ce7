/**
 * The transpile worker is kept warm between loads (issue 15, cold load): a second transpile reuses it,
 * one idle worker at most is kept and it is ended after its idle time; a worker whose transpile failed
 * or was cancelled is never reused.
 */
import { readFile } from 'node:fs/promises';
import { afterEach, describe, expect, it } from 'vitest';
import type { RuntimeError } from '../../src/runtime/index.ts';
import {
  endIdleTranspiler,
  idleTranspilerWorker,
  transpileOffThread,
  transpilerStats,
} from '../../src/runtime/prepare/transpiler.ts';
import { fixturePath } from '../helpers/fixtures.ts';

async function until(what: string, done: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!done()) {
    if (Date.now() > end)
      throw new Error(`timed out waiting until ${what}: ${JSON.stringify(transpilerStats())}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function failure(promise: Promise<unknown>): Promise<RuntimeError> {
  try {
    await promise;
  } catch (error) {
    return error as RuntimeError;
  }
  throw new Error('expected a rejection');
}

afterEach(() => endIdleTranspiler());

describe('the transpile worker', () => {
  it('is kept warm: the next transpile reuses it, and it ends once idle for its idle time', async () => {
    const bytes = await readFile(fixturePath('counter'));
    const { started } = transpilerStats();
    const first = await transpileOffThread(bytes, 60_000);
    expect(transpilerStats()).toEqual({ started: started + 1, live: 1, idle: true });
    const second = await transpileOffThread(bytes, 150);
    expect(transpilerStats().started, 'the warm worker did the second transpile').toBe(started + 1);
    expect(Object.keys(second).sort()).toEqual(Object.keys(first).sort());
    expect(second['component.js']).toEqual(first['component.js']);
    await until('the idle worker has ended', () => transpilerStats().live === 0);
    expect(transpilerStats().idle).toBe(false);
    await transpileOffThread(bytes, 0);
    expect(transpilerStats().started, 'a new worker after the idle one ended').toBe(started + 2);
    await until('a worker with no idle time has ended', () => transpilerStats().live === 0);
    expect(transpilerStats().idle).toBe(false);
  }, 60_000);

  it('gives overlapping transpiles a worker each and keeps one of them', async () => {
    const bytes = await readFile(fixturePath('counter'));
    const { started } = transpilerStats();
    await Promise.all([transpileOffThread(bytes, 60_000), transpileOffThread(bytes, 60_000)]);
    expect(transpilerStats().started).toBe(started + 2);
    await until('one worker is left', () => transpilerStats().live === 1);
    expect(transpilerStats().idle).toBe(true);
  }, 60_000);

  it('ends a worker whose transpile failed or was cancelled, and the next transpile works', async () => {
    const bytes = await readFile(fixturePath('counter'));
    await transpileOffThread(bytes, 60_000);
    const { started } = transpilerStats();
    // A core module, not a component: jco refuses it.
    const core = Uint8Array.of(0, 0x61, 0x73, 0x6d, 1, 0, 0, 0);
    const refused = await failure(transpileOffThread(core, 60_000));
    expect(refused.code).toBe('invalid-component');
    expect(refused.message).toContain('jco could not transpile the component');
    expect(transpilerStats().started, 'the warm worker was given the failing transpile').toBe(started);
    await until('the worker that failed has ended', () => transpilerStats().live === 0);

    const controller = new AbortController();
    const cancelled = transpileOffThread(bytes, 60_000, controller.signal);
    controller.abort();
    expect((await failure(cancelled)).code).toBe('cancelled');
    await until('the cancelled worker has ended', () => transpilerStats().live === 0);

    await transpileOffThread(bytes, 60_000);
    expect(transpilerStats()).toEqual({ started: started + 2, live: 1, idle: true });
  }, 60_000);

  it('does not hand a transpile to an idle worker that ended on its own', async () => {
    const bytes = await readFile(fixturePath('counter'));
    await transpileOffThread(bytes, 60_000);
    const { started } = transpilerStats();
    await idleTranspilerWorker()?.terminate();
    expect(transpilerStats().idle, 'the ended worker is no longer idle').toBe(false);
    const files = await transpileOffThread(bytes, 60_000);
    expect(Object.keys(files)).toContain('component.js');
    expect(transpilerStats()).toEqual({ started: started + 1, live: 1, idle: true });
  }, 60_000);
});
