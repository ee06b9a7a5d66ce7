import { expect } from 'vitest';
import { RuntimeError } from '../../src/runtime/index.ts';

/** The RuntimeError that `work` rejects with, within `ms` (a hang fails the test instead of the suite). */
export async function refusal(work: Promise<unknown>, ms = 3000): Promise<RuntimeError> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  try {
    const error = await Promise.race([
      work.then(
        () => new Error('expected a refusal, the file was accepted'),
        (e: unknown) => e,
      ),
      deadline,
    ]);
    expect(error).toBeInstanceOf(RuntimeError);
    return error as RuntimeError;
  } finally {
    clearTimeout(timer);
  }
}
