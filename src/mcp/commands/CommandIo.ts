/**
 * The standard streams a CLI command may use. Only the entry point (src/cli.ts) hands out the process's
 * own streams; commands receive them, so nothing below it touches process.stdin/stdout/stderr directly.
 */
export interface CommandIo {
  stdin: NodeJS.ReadableStream;
  stdout: NodeJS.WritableStream;
  /** Messages for the person at the terminal (errors, the inspector's address); logs use `log`. */
  stderr: NodeJS.WritableStream;
}
