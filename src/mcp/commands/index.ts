/**
 * The `wasmactor` commands. Each module is loaded when its command runs, so `tools` and `call` never
 * load the MCP SDK and `serve` never loads what `call` needs alone.
 */
import type { CommandIo } from './CommandIo.ts';

export { McpError } from '../McpError.ts';
export type { CommandIo } from './CommandIo.ts';
export { commandFailed, commandName, fail, out } from './commandArgs.ts';

/** A command: its arguments (after the command name) and streams in, its exit code out. */
export type Command = (args: string[], io: CommandIo) => Promise<number>;

/** Every command by name. */
export const commands: Record<string, Command> = {
  serve: async (args, io) => (await import('./serveCommand.ts')).serveCommand(args, io),
  component: async (args, io) => (await import('./componentCommand.ts')).componentCommand(args, io),
  secret: async (args, io) => (await import('./secretCommand.ts')).secretCommand(args, io),
  tools: async (args, io) => (await import('./toolsCommand.ts')).toolsCommand(args, io),
  call: async (args, io) => (await import('./callCommand.ts')).callCommand(args, io),
  check: async (args, io) => (await import('./checkCommand.ts')).checkCommand(args, io),
};
