/**
 * Worker-thread side of sandbox.test.ts: builds a sandbox inside a worker_thread (as the instance host
 * does), reads a file through it, writes guest stdout, and reports what it saw and how long it took.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { createSandbox } from '../../src/runtime/sandbox/createSandbox.ts';

const { hostPath, rounds } = workerData as { hostPath: string; rounds: number };
const started = performance.now();
const sandbox = createSandbox(
  { env: { IN: 'worker' }, preopens: [{ hostPath, guestPath: '/d', readOnly: true }] },
  [],
);
type Dir = {
  openAt(p: object, path: string, o: object, f: object): Dir;
  read(len: bigint, offset: bigint): [Uint8Array, boolean];
  [Symbol.dispose](): void;
};
const [[dir]] = (
  sandbox.imports['wasi:filesystem/preopens'] as { getDirectories(): [Dir, string][] }
).getDirectories() as [[Dir, string]];
const readOnce = () => {
  const file = dir.openAt({}, 'data.txt', {}, { read: true });
  const [bytes] = file.read(100n, 0n);
  file[Symbol.dispose]();
  return new TextDecoder().decode(bytes);
};
const text = readOnce();
const firstMs = performance.now() - started;
const loopStart = performance.now();
for (let i = 0; i < rounds; i++) readOnce();
const perReadMs = (performance.now() - loopStart) / rounds;
let refused: unknown;
try {
  dir.openAt({}, 'data.txt', {}, { write: true });
} catch (error) {
  refused = error;
}
(sandbox.imports['wasi:cli/stdout'] as { getStdout(): { write(b: Uint8Array): void } })
  .getStdout()
  .write(new TextEncoder().encode('from the worker'));
parentPort?.postMessage({
  text,
  refused,
  firstMs,
  perReadMs,
  output: sandbox.takeOutput(),
  denials: sandbox.takeDenials(),
});
sandbox.dispose();
