// Runs one bench file the way bin/wasmactor.js runs the server: tsx registered through its API, so that
// process.execArgv stays clean. Under the `tsx` command, tsx's loader is in execArgv, and every worker
// thread (the runtime's instance workers) and forked child inherits it: workers then load tsx too (more
// memory, slower start) and a child could die importing tsx's `#cjs-loader`.
//
//   node bench/launch.mjs bench/actor.bench.ts [args...]
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { register } from 'tsx/esm/api';

const [file, ...rest] = process.argv.slice(2);
if (!file) {
  process.stderr.write('usage: node bench/launch.mjs <bench file> [args...]\n');
  process.exit(2);
}
register();
const path = resolve(file);
process.argv = [process.argv[0], path, ...rest];
await import(pathToFileURL(path).href);
// The bench is done when its module is. A handle a library left open (scale.bench.ts keeps three child
// pipes after its cluster closed, under the `tsx` command too) must not keep it alive: a second after,
// the process ends anyway (an unref'd timer: it never delays a process that ends by itself).
if (!process.send) setTimeout(() => process.exit(), 1_000).unref();
