#!/usr/bin/env -S node --
// The `wasmactor` command. It runs the JavaScript that `npm run build` compiled into dist/: the published
// package carries dist/ and no src/. In a checkout, src/ is there too, and dist/ runs only when it is
// provably built from the sources as they are (scripts/buildStamp.mjs: the hash of src/ and the build's
// inputs, recorded by the build, equals the hash of the files now; ~5 ms); otherwise src/ runs through
// tsx's loader (no build step), so a dist/ left over from an earlier build or `npm pack` never stands in
// for the sources being edited. `npm start` builds dist/ first when it is not current (`prestart`).
// WASMACTOR_FROM_SOURCES=1 runs src/ through tsx even when dist/ is current (tests of the sources'
// module structure; stack traces that name the .ts files).
//
// `--help` and `--version` are answered here, in plain JS, before anything of the server (or tsx) is
// loaded: they take about as long as starting node.
//
// The shebang runs `node -- <this file>`: Node 20 reads `--env-file` anywhere on its command line, even
// after the script (`node: FILE: not found`, exit 9, before this file runs); after `--` it leaves the
// arguments to us, so `wasmactor serve --env-file FILE` reaches `serve`.
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** In a checkout: whether dist/ was built from the sources as they are now. */
async function distIsCurrent() {
  const stamp = await import('../scripts/buildStamp.mjs');
  return stamp.distIsCurrent(fileURLToPath(new URL('..', import.meta.url)).replace(/[\\/]$/, ''));
}

/** The top-level help; each command has its own (`wasmactor help <command>`, `wasmactor <command> -h`). */
const usage = `wasmactor — WebAssembly components as MCP tools

Usage:
  wasmactor serve [options]                 run the MCP server on stdio (see: wasmactor serve --help)
  wasmactor component load|unload|list|sync manage the component directory without a server
                                            (see: wasmactor component --help)
  wasmactor secret set|list|delete <component> [KEY=VALUE]...
                                            per-component secrets (see: wasmactor secret --help)
  wasmactor tools <component.wasm>          print the component's tools as JSON
  wasmactor call <component.wasm> <tool> [--args JSON] [--env K=V]... [--dir HOST::GUEST[:ro]]...
                 [--timeout MS]             run one call in a fresh sandbox, print the result as JSON
  wasmactor check <component.wasm> [--runs N] [--seed S] [--tool NAME]... [--deterministic]
                  [--stateful] [--env K=V]... [--dir HOST::GUEST[:ro]]... [--timeout MS] [--json]
                                            property-based test of every exported function
                                            (see: wasmactor check --help)
  wasmactor help <command>                  show a command's help (also: wasmactor <command> -h)
  wasmactor -h | --help                     show this help
  wasmactor -V | --version                  print the version
`;

const args = process.argv.slice(2);
const [first] = args;
if (first === undefined) {
  process.stderr.write(`wasmactor: give a command\n\n${usage}`);
  process.exitCode = 2;
} else if (first === '-h' || first === '--help' || (first === 'help' && args.length === 1)) {
  process.stdout.write(usage);
} else if (first === '-V' || first === '--version') {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
  process.stdout.write(`${pkg.version}\n`);
} else {
  const checkout = existsSync(new URL('../src/cli.ts', import.meta.url));
  const fromSources = checkout && (process.env.WASMACTOR_FROM_SOURCES === '1' || !(await distIsCurrent()));
  let cli;
  if (fromSources) {
    const { register } = await import('tsx/esm/api');
    register();
    cli = await import(new URL('../src/cli.ts', import.meta.url).href);
  } else {
    cli = await import('../dist/cli.js');
  }
  process.exitCode = await cli.main(args, usage);
}
