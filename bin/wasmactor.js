#!/usr/bin/env -S node --
// The `wasmactor` command. The sources are TypeScript, run through tsx's loader (no build step).
//
// `--help` and `--version` are answered here, in plain JS, before tsx or anything of the server is
// loaded: they take about as long as starting node.
//
// The shebang runs `node -- <this file>`: Node 20 reads `--env-file` anywhere on its command line, even
// after the script (`node: FILE: not found`, exit 9, before this file runs); after `--` it leaves the
// arguments to us, so `wasmactor serve --env-file FILE` reaches `serve`.
import { readFileSync } from 'node:fs';

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
  const { register } = await import('tsx/esm/api');
  register();
  const { main } = await import('../src/cli.ts');
  process.exitCode = await main(args, usage);
}
