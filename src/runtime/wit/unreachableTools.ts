/**
 * Tools that can never be called: a parameter holds a handle (`own<R>`/`borrow<R>`) of a resource that
 * no exported function returns, so no caller can ever hold one (typically a resource the component
 * imports, such as a WASI stream). Such tools stay listed (their names and schemas do not come and go
 * with what else a component exports), and their description says why they cannot be called; a call
 * is refused anyway, as an argument error, before the guest runs.
 */
import type { ExportedFunction, WitType } from '../types.ts';

/** The resources whose handles appear anywhere in `type`. */
function resourcesIn(type: WitType, into: Set<string>): Set<string> {
  const stack: WitType[] = [type];
  for (let t = stack.pop(); t !== undefined; t = stack.pop()) {
    switch (t.kind) {
      case 'own':
      case 'borrow':
        into.add(t.resource);
        break;
      case 'list':
        stack.push(t.element);
        break;
      case 'record':
        for (const f of t.fields) stack.push(f.type);
        break;
      case 'variant':
        for (const c of t.cases) if (c.type) stack.push(c.type);
        break;
      case 'tuple':
        stack.push(...t.types);
        break;
      case 'option':
        stack.push(t.type);
        break;
      case 'result':
        if (t.ok) stack.push(t.ok);
        if (t.err) stack.push(t.err);
        break;
      default:
        break;
    }
  }
  return into;
}

/**
 * For each function that can never be called, the sentence that says why, by function; functions
 * that can be called are absent.
 */
export function unreachableReasons(functions: readonly ExportedFunction[]): Map<ExportedFunction, string> {
  const producible = new Set<string>();
  for (const fn of functions) if (fn.result) resourcesIn(fn.result, producible);
  const reasons = new Map<ExportedFunction, string>();
  for (const fn of functions) {
    for (const param of fn.params) {
      const missing = [...resourcesIn(param.type, new Set())].filter((r) => !producible.has(r));
      if (missing.length === 0) continue;
      reasons.set(
        fn,
        `This tool cannot be called: parameter "${param.name}" takes a handle of resource "${missing[0]}", ` +
          'and no function of this component returns one.',
      );
      break;
    }
  }
  return reasons;
}
