/**
 * The standard streams a CLI command may use. Only the entry point (src/cli.ts) hands out the process's
 * own streams; commands receive them, so nothing below it touches process.stdin/stdout directly.
 */
export interface CommandIo {
  stdin: NodeJS.ReadableStream;
  stdout: NodeJS.WritableStream;
}
