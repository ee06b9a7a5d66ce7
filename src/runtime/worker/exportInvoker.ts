/**
 * Finds the JS callable that jco generated for an exported function, once per function: the keys are
 * looked up on the first instance and kept, so a later call (on that instance or a fresh one of the same
 * component: jco builds every instance's exports with the same shape) reads two properties and calls.
 */
import { RuntimeError } from '../RuntimeError.ts';
import type { ExportedFunction } from '../types.ts';
import { jsName } from '../wit/index.ts';

/** Calls one exported function on an instance's exports. */
export type Invoker = (exports: Record<string, unknown>, args: unknown[]) => unknown;

type Fn = (...args: unknown[]) => unknown;

// jco's names: lowerCamelCase for functions and interfaces, UpperCamelCase for resource classes.
const camel = jsName;
const pascal = (name: string) => {
  const c = jsName(name);
  return c.charAt(0).toUpperCase() + c.slice(1);
};

/** The key under which `holder` has `name` (jco escapes JS reserved words with a trailing `$`). */
function keyOf(holder: unknown, name: string, what: string): string {
  if (holder !== null && (typeof holder === 'object' || typeof holder === 'function')) {
    for (const key of [name, `${name}$`]) if (key in (holder as object)) return key;
  }
  throw new RuntimeError('host-error', `the component's JavaScript glue has no ${what}`);
}

/** The key of the export that holds `fn` (its interface), or undefined for a world-level function. */
function baseKey(exports: Record<string, unknown>, fn: ExportedFunction): string | undefined {
  if (fn.interface === undefined) return undefined;
  if (exports[fn.interface] != null) return fn.interface;
  const bare = fn.interface.replace(/@.*$/, '');
  if (exports[bare] != null) return bare;
  const short = camel(bare.slice(bare.lastIndexOf('/') + 1));
  return keyOf(exports, short, `export for interface ${fn.interface}`);
}

/**
 * Resolves `fn` against `exports` (a first instance) and returns how to call it on any instance of the
 * same component. Throws `host-error` when the glue lacks it, as a call would.
 */
export function resolveInvoker(exports: Record<string, unknown>, fn: ExportedFunction): Invoker {
  const base = baseKey(exports, fn);
  const holderOf = (e: Record<string, unknown>): unknown => (base === undefined ? e : e[base]);
  const holder = holderOf(exports);
  const match = /^\[(constructor|method|static)\]([^.]+)(?:\.(.+))?$/.exec(fn.name);
  if (!match) {
    const key = keyOf(holder, camel(fn.name), `function ${fn.name}`);
    return (e, args) => ((holderOf(e) as Record<string, Fn>)[key] as Fn)(...args);
  }
  const [, kind, resource = '', method = ''] = match;
  if (kind === 'method') {
    // The receiver is an argument: its class's key is looked up on it (the same two names each time).
    const name = camel(method);
    return (_e, args) => {
      const [self, ...rest] = args;
      const f = (self as Record<string, Fn>)[keyOf(self, name, `method ${method} of ${resource}`)] as Fn;
      return f.apply(self, rest);
    };
  }
  const classKey = keyOf(holder, pascal(resource), `resource ${resource}`);
  type Cls = (new (...a: unknown[]) => unknown) & Record<string, Fn>;
  const classOf = (e: Record<string, unknown>) => (holderOf(e) as Record<string, Cls>)[classKey] as Cls;
  if (kind === 'constructor') return (e, args) => new (classOf(e))(...args);
  const staticKey = keyOf(classOf(exports), camel(method), `static function ${method} of ${resource}`);
  return (e, args) => {
    const cls = classOf(e);
    return (cls[staticKey] as Fn).apply(cls, args);
  };
}
