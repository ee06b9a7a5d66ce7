/** The per-component FIFO behind every change of a component (`KeyedQueue`), with no server around it. */
import { describe, expect, it } from 'vitest';
import { KeyedQueue } from '../../src/mcp/server/KeyedQueue.ts';

/** A promise and the function that resolves it. */
function gate(): { opened: Promise<void>; open: () => void } {
  let open = () => {};
  const opened = new Promise<void>((done) => {
    open = done;
  });
  return { opened, open };
}

describe('KeyedQueue', () => {
  it('runs the units of one key one at a time, whole, in the order they were queued', async () => {
    const queue = new KeyedQueue();
    const steps: string[] = [];
    let running = 0;
    let overlap = 0;
    const unit = (name: string, pauses: number) => async () => {
      running += 1;
      overlap = Math.max(overlap, running);
      steps.push(`${name} start`);
      for (let i = 0; i < pauses; i++) await new Promise((done) => setTimeout(done, 1));
      steps.push(`${name} end`);
      running -= 1;
      return name;
    };
    const results = await Promise.all([
      queue.run('a', unit('1', 5)),
      queue.run('a', unit('2', 0)),
      queue.run('a', unit('3', 3)),
    ]);
    expect(results).toEqual(['1', '2', '3']);
    expect(steps).toEqual(['1 start', '1 end', '2 start', '2 end', '3 start', '3 end']);
    expect(overlap).toBe(1);
  });

  it('never holds one key behind another', async () => {
    const queue = new KeyedQueue();
    const held = gate();
    const a = queue.run('a', () => held.opened.then(() => 'a'));
    expect(await queue.run('b', async () => 'b')).toBe('b');
    await new Promise((done) => setImmediate(done));
    expect(queue.size).toBe(1);
    held.open();
    expect(await a).toBe('a');
  });

  it('a failed unit rejects its own caller only; the next unit runs', async () => {
    const queue = new KeyedQueue();
    const failed = queue.run('a', async () => {
      throw new Error('boom');
    });
    const next = queue.run('a', async () => 'next');
    await expect(failed).rejects.toThrow('boom');
    expect(await next).toBe('next');
  });

  it('forgets a key once its last unit has settled', async () => {
    const queue = new KeyedQueue();
    const held = gate();
    const units = [queue.run('a', () => held.opened), queue.run('a', async () => undefined)];
    expect(queue.size).toBe(1);
    held.open();
    await Promise.all(units);
    await new Promise((done) => setImmediate(done));
    expect(queue.size).toBe(0);
  });
});
