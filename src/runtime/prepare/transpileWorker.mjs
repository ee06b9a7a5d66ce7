// Runs jco's transpile in a worker thread: for a component with thousands of exports it computes for
// tens of seconds, and on the main thread that would stall every other request of the server. Plain
// JavaScript, so the thread needs no TypeScript loader. Input: the component bytes as `workerData`.
// Output: one message, `{ ok: true, files: [name, bytes][] }` or `{ ok: false, error: string }`.
import { parentPort, workerData } from 'node:worker_threads';
import { transpileBytes } from '@bytecodealliance/jco-transpile';

try {
  const result = await transpileBytes(workerData, {
    name: 'component',
    instantiation: 'async',
    noComponentErrorWrapping: false,
    wasiShim: false,
  });
  const files = Object.entries(result.files);
  parentPort?.postMessage(
    { ok: true, files },
    files.map(([, content]) => content.buffer),
  );
} catch (error) {
  parentPort?.postMessage({ ok: false, error: String(error) });
}
