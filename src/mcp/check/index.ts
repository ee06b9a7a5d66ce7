/** `wasmactor check`: property-based testing of a component's exported functions (issue 17). */
export { checkComponent, DEFAULT_RUNS, randomSeed, selectTools } from './checkComponent.ts';
export { parseSteps, type ReplayResult, replaySteps } from './replay.ts';
export { type CommandContext, formatReport, reproduceCommand, shellQuote } from './reportText.ts';
export type * from './types.ts';
