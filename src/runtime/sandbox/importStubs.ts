/**
 * Stand-ins for imports wasmactor does not provide (a component's own host interfaces, WASI
 * interfaces we do not implement). The glue destructures each interface object at instantiation and
 * fails on an `undefined` member, so a stub answers every name: a PascalCase name (a resource class)
 * with a class whose constructor and statics throw, any other name with a function that throws
 * `MissingImportError` naming the import and the WIT function.
 */
import { MissingImportError } from './errors.ts';

/** `getCurrentTime` -> `get-current-time`. */
function kebab(jsName: string): string {
  return jsName.replace(/([a-z0-9])([A-Z])/g, '$1-$2').toLowerCase();
}

function missing(importName: string, func: string): (...args: unknown[]) => never {
  return () => {
    throw new MissingImportError(importName, func);
  };
}

function stubResourceClass(importName: string, jsName: string): unknown {
  const resource = kebab(jsName);
  // A plain function (not `class`) so `new` reaches the throw; statics come from the proxy below.
  const Stub = function StubResource(): never {
    throw new MissingImportError(importName, `[constructor]${resource}`);
  };
  Object.defineProperty(Stub, 'name', { value: jsName });
  return new Proxy(Stub, {
    get(target, prop, receiver) {
      if (typeof prop === 'symbol' || prop in target) return Reflect.get(target, prop, receiver);
      return missing(importName, `[static]${resource}.${kebab(prop)}`);
    },
  });
}

/** An interface object for `importName` whose every member throws `MissingImportError` when used. */
export function createImportStub(importName: string): Record<string, unknown> {
  const members = new Map<string, unknown>();
  return new Proxy({} as Record<string, unknown>, {
    get(_target, prop) {
      // Not a thenable, no well-known symbols: only names the glue can ask for.
      if (typeof prop === 'symbol' || prop === 'then') return undefined;
      let member = members.get(prop);
      if (member === undefined) {
        const isResource = /^[A-Z]/.test(prop);
        const func = prop === 'default' ? importName : kebab(prop);
        member = isResource ? stubResourceClass(importName, prop) : missing(importName, func);
        members.set(prop, member);
      }
      return member;
    },
  });
}
