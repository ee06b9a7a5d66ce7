// Preloaded with `node --import` by test/cliConventions.test.ts: records the URL of every module the
// process resolves (through any loader, tsx's included) into the file WASMACTOR_IMPORT_LOG names.
import { register } from 'node:module';

register(new URL('./importHooks.mjs', import.meta.url), {
  data: { file: process.env.WASMACTOR_IMPORT_LOG },
});
