// Runs jco's transpile in a worker thread: for a component with thousands of exports it computes for
// tens of seconds, and on the main thread that would stall every other request of the server. Plain
// JavaScript, so the thread needs no TypeScript loader. The worker serves one transpile after another
// (transpiler.ts keeps it warm between loads). Input: a message with the component bytes. Output: one
// message per input, `{ ok: true, files: [name, bytes][] }` or `{ ok: false, error: string }`.
import { parentPort } from 'node:worker_threads';

// jco's output never reaches the protocol stream (the process's stdout): what it prints is dropped. Done
// here rather than with the Worker's `stdout: true` option, whose stream would keep the process alive
// while this worker waits, unreferenced, for the next transpile.
process.stdout.write = (_chunk, encoding, callback) => {
  (typeof encoding === 'function' ? encoding : callback)?.();
  return true;
};

// Imported after stdout is closed off (a static import would run first).
const { transpileBytes } = await import('@bytecodealliance/jco-transpile');

parentPort?.on('message', async (bytes) => {
  try {
    const result = await transpileBytes(bytes, {
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
});
