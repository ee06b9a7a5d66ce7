/**
 * The `wasmactor` command: `tools` and `call` work on a component file directly (useful on their own and
 * for scripting); `serve` runs the MCP server; `component` and `secret` manage what it serves. The only
 * module that touches the process's streams: every command writes through the `CommandIo` it is given.
 */
import { type CommandIo, commandFailed, commandName, commands, fail, out } from './mcp/commands/index.ts';

/** The process's own streams, handed to the commands. */
const io: CommandIo = { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr };

/**
 * Runs a command line; resolves to the process exit code. bin/wasmactor.js answers `--help`,
 * `--version` and no command before loading this module, and hands over its top-level `usage`.
 */
export async function main(argv: string[], usage: string): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined) return fail(io, 'help', `give a command\n\n${usage}`);
  if (name === 'help') {
    // `help <command>` is `<command> --help`; the command's own module holds its text.
    const [topic] = rest;
    if (topic === undefined) {
      out(io, usage);
      return 0;
    }
    const command = commands[topic];
    if (!command)
      return fail(io, 'help', `no command "${topic}" (the commands: ${Object.keys(commands).join(', ')})`);
    return command(['--help'], io);
  }
  const command = commands[name];
  if (!command) {
    io.stderr.write(
      `wasmactor: unknown command "${name}" (the commands: ${Object.keys(commands).join(', ')}; see: wasmactor --help)\n`,
    );
    return 2;
  }
  try {
    return await command(rest, io);
  } catch (error) {
    // A coded error is the user's to fix, and its message says how (exit 1; 2 when the command line is
    // wrong), named after the full command (`component push`); anything else is a bug: let it show.
    return commandFailed(io, commandName(name, rest), error);
  }
}
