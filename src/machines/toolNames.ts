import { MAX_TOOL_NAME_LENGTH, normalizeInterfaceName } from '../runtime/index.ts';

/**
 * The public name of `toolName` of component `componentId`, given the names already taken by other
 * components. The first component keeps the plain name; a later one whose name collides gets
 * `<id>__<name>` (normalized, cut to 128 characters; a numeric suffix if even that is taken).
 */
export function publicToolName(
  componentId: string,
  toolName: string,
  taken: (name: string) => boolean,
): string {
  if (!taken(toolName)) return toolName;
  const base = `${normalizeInterfaceName(componentId)}__${toolName}`.slice(0, MAX_TOOL_NAME_LENGTH);
  if (!taken(base)) return base;
  for (let n = 2; ; n++) {
    const suffix = `_${n}`;
    const candidate = base.slice(0, MAX_TOOL_NAME_LENGTH - suffix.length) + suffix;
    if (!taken(candidate)) return candidate;
  }
}
