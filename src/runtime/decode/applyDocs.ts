/**
 * WIT doc comments (from the `package-docs` section, see customSections.ts) onto the exported
 * functions, as wassette shows them: a function's `///` docs become its `docs` (the tool description),
 * the docs of its interface follow them, and parameter docs written in the function's docs become the
 * parameters' `docs` (schema property descriptions).
 *
 * WIT has no syntax for parameter docs; these lines of a function's docs are read as one (the usual
 * rustdoc and JSDoc forms): `- name: text`, `* \`name\` - text`, `@param name text`, where `name` is
 * one of the function's parameters.
 *
 * `package-docs` covers the component's own package and names interfaces without their package
 * (`calc`, not `local:math/calc`): an exported interface takes the docs of the same local name, unless
 * two exported interfaces share that name (then neither does: a guess could be wrong).
 */
import type { ExportedFunction } from '../types.ts';
import type { PackageDocs } from './customSections.ts';

const text = (value: unknown): string | undefined =>
  typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined;

/** `local:math/calc@1.0.0` -> `calc`; an inline interface's plain name stays as it is. */
function localName(iface: string): string {
  const slash = iface.lastIndexOf('/');
  const tail = slash === -1 ? iface : iface.slice(slash + 1);
  const at = tail.indexOf('@');
  return at === -1 ? tail : tail.slice(0, at);
}

const PARAM_LINE =
  /^\s*(?:[-*]\s*`?([a-z][a-z0-9-]*)`?\s*(?::|-|–)\s+|@param\s+`?([a-z][a-z0-9-]*)`?\s+(?:-\s+)?)(.+)$/;

/** Parameter docs found in `docs` for the parameters named `names`. */
export function paramDocs(docs: string, names: readonly string[]): Map<string, string> {
  const found = new Map<string, string>();
  for (const line of docs.split('\n')) {
    const match = PARAM_LINE.exec(line);
    const name = match?.[1] ?? match?.[2];
    const description = text(match?.[3]);
    if (name !== undefined && description !== undefined && names.includes(name) && !found.has(name)) {
      found.set(name, description);
    }
  }
  return found;
}

/** Sets `docs` on `functions` (and their parameters) from `docs`; changes nothing without docs. */
export function applyPackageDocs(functions: ExportedFunction[], docs: PackageDocs | undefined): void {
  if (docs === undefined) return;
  const worlds = Object.values(docs.worlds ?? {}).filter((w) => typeof w === 'object' && w !== null);
  const fullNames = new Map<string, Set<string>>();
  for (const fn of functions) {
    if (fn.interface === undefined) continue;
    const local = localName(fn.interface);
    fullNames.set(local, (fullNames.get(local) ?? new Set()).add(fn.interface));
  }
  for (const fn of functions) {
    let own: string | undefined;
    let ofInterface: string | undefined;
    if (fn.interface === undefined) {
      for (const world of worlds) own ??= text(world.funcs?.[fn.name]);
    } else {
      const local = localName(fn.interface);
      if ((fullNames.get(local)?.size ?? 0) > 1) continue;
      const item = fn.interface.includes(':')
        ? docs.interfaces?.[local]
        : worlds.map((w) => w.interfaces?.[local]).find((i) => i !== undefined);
      own = text(item?.funcs?.[fn.name]);
      ofInterface = text(item?.docs);
    }
    const parts = [own, ofInterface && `Interface ${fn.interface}: ${ofInterface}`].filter(
      (p): p is string => p !== undefined && p !== '',
    );
    if (parts.length > 0) fn.docs = parts.join('\n\n');
    if (own === undefined) continue;
    const params = paramDocs(
      own,
      fn.params.map((p) => p.name),
    );
    for (const param of fn.params) {
      const described = params.get(param.name);
      if (described !== undefined) param.docs = described;
    }
  }
}
