/** WIT types <-> JSON: tool definitions, schemas, the value converters both ways, tool names. */
export type { ArbitraryOptions } from './arbitraries.ts';

/** The fast-check arbitraries of WIT values, loaded on first use: only `check` needs fast-check. */
export const loadArbitraries = () => import('./arbitraries.ts');
export { jsName } from './rules.ts';
export {
  argsToGuest,
  errorPayloadToJson,
  type HandleTable,
  inputSchema,
  outputSchema,
  resultToJson,
  toolDefinitions,
  toolName,
} from './toolDefinitions.ts';
export { MAX_TOOL_NAME_LENGTH, normalizeInterfaceName } from './toolNames.ts';
export { resultMismatch, typeMismatch } from './typeMismatch.ts';
