/** WIT types <-> JSON: tool definitions, schemas, the value converters both ways, tool names. */
export { type ArbitraryOptions, arbitraryJsonFor, containsHandle } from './arbitraries.ts';
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
