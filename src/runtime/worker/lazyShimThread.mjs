// preview2-shim starts a helper thread (its synchronous I/O worker, `io/worker-thread.bundle.js`) as soon
// as it is imported: every instance worker paid for a second thread (~17 MiB of RSS per instance worker,
// bench/stateless.bench.ts) though most guests never need it. Only pollables (clocks, `poll`), sockets,
// HTTP and preview2-shim's own streams call into it. This module, evaluated before preview2-shim, makes
// that one Worker lazy: it starts on the first message, when a guest first needs it, and never otherwise.
// Plain JavaScript: it runs before any TypeScript loader and before the bundled worker host.
import { syncBuiltinESMExports } from 'node:module';
import workerThreads from 'node:worker_threads';

const RealWorker = workerThreads.Worker;
const HELPER = /[\\/]@bytecodealliance[\\/]preview2-shim[\\/].*[\\/]worker-thread\.bundle\.js$/;

/** Counts for tests: helper threads asked for, and started. */
export const helperThreads = { created: 0, started: 0 };

/**
 * Stands in for preview2-shim's helper Worker until its first message. synckit (inside preview2-shim)
 * uses `on('message')`, `unref()` and `postMessage()`; listeners and ref state are replayed on start.
 */
class LazyWorker {
  #args;
  #real;
  #listeners = [];
  #unref = false;

  constructor(url, options) {
    this.#args = [url, options];
    helperThreads.created += 1;
  }

  #start() {
    if (this.#real) return this.#real;
    helperThreads.started += 1;
    const real = new RealWorker(...this.#args);
    this.#args = undefined;
    for (const [method, event, listener] of this.#listeners) real[method](event, listener);
    this.#listeners = [];
    if (this.#unref) real.unref();
    this.#real = real;
    return real;
  }

  on(event, listener) {
    if (this.#real) this.#real.on(event, listener);
    else this.#listeners.push(['on', event, listener]);
    return this;
  }

  once(event, listener) {
    if (this.#real) this.#real.once(event, listener);
    else this.#listeners.push(['once', event, listener]);
    return this;
  }

  addListener(event, listener) {
    return this.on(event, listener);
  }

  unref() {
    if (this.#real) this.#real.unref();
    else this.#unref = true;
  }

  ref() {
    if (this.#real) this.#real.ref();
    else this.#unref = false;
  }

  postMessage(message, transfer) {
    this.#start().postMessage(message, transfer);
  }

  terminate() {
    return this.#real ? this.#real.terminate() : Promise.resolve(0);
  }
}

/** A Worker constructor that defers preview2-shim's helper thread and builds every other Worker at once. */
function DeferringWorker(url, options) {
  const href = url instanceof URL ? url.pathname : String(url);
  if (HELPER.test(href)) return new LazyWorker(url, options);
  return new RealWorker(url, options);
}
DeferringWorker.prototype = RealWorker.prototype;

/**
 * Installs the deferring Worker while `load` runs (it must be the import that evaluates preview2-shim),
 * then puts Node's own back: only Workers constructed during the import are affected.
 */
export async function withLazyShimThread(load) {
  workerThreads.Worker = DeferringWorker;
  syncBuiltinESMExports();
  try {
    return await load();
  } finally {
    workerThreads.Worker = RealWorker;
    syncBuiltinESMExports();
  }
}
