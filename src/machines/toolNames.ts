/** Tool names are at most this long (DESIGN.md). */
export const MAX_TOOL_NAME = 128;

/** Lowercases and maps every character outside `[a-z0-9-]` to `_`, like tool names (DESIGN.md). */
export function normalizeName(name: string): string {
  return name.toLowerCase().replace(/[^a-z0-9-]/g, '_');
}

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
  const base = `${normalizeName(componentId)}__${toolName}`.slice(0, MAX_TOOL_NAME);
  if (!taken(base)) return base;
  for (let n = 2; ; n++) {
    const suffix = `_${n}`;
    const candidate = base.slice(0, MAX_TOOL_NAME - suffix.length) + suffix;
    if (!taken(candidate)) return candidate;
  }
}
