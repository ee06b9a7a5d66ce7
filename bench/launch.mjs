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
