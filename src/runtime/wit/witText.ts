/** WIT types and signatures as WIT text, for tool descriptions and error messages. */
import type { ExportedFunction, WitType } from '../types.ts';

/** `list<string>`, `point`, `result<u32, string>`, `borrow<acc>`. Named types print their name. */
export function witTypeText(type: WitType): string {
  switch (type.kind) {
    case 'list':
      return `list<${witTypeText(type.element)}>`;
    case 'tuple':
      return `tuple<${type.types.map(witTypeText).join(', ')}>`;
    case 'option':
      return `option<${witTypeText(type.type)}>`;
    case 'result': {
      if (!type.ok && !type.err) return 'result';
      if (!type.err) return `result<${witTypeText(type.ok as WitType)}>`;
      return `result<${type.ok ? witTypeText(type.ok) : '_'}, ${witTypeText(type.err)}>`;
    }
    case 'record':
      return (
        type.name ?? `record { ${type.fields.map((f) => `${f.name}: ${witTypeText(f.type)}`).join(', ')} }`
      );
    case 'variant':
      return (
        type.name ??
        `variant { ${type.cases.map((c) => (c.type ? `${c.name}(${witTypeText(c.type)})` : c.name)).join(', ')} }`
      );
    case 'enum':
      return type.name ?? `enum { ${type.cases.join(', ')} }`;
    case 'flags':
      return type.name ?? `flags { ${type.flags.join(', ')} }`;
    case 'own':
      return type.resource;
    case 'borrow':
      return `borrow<${type.resource}>`;
    default:
      return type.kind;
  }
}

/** `func(v: string, fail: bool) -> result<string, string>` */
export function witSignatureText(fn: ExportedFunction): string {
  const params = fn.params.map((p) => `${p.name}: ${witTypeText(p.type)}`).join(', ');
  return `func(${params})${fn.result ? ` -> ${witTypeText(fn.result)}` : ''}`;
}
