/**
 * Generated calls: the arguments of one exported function drawn from its WIT types, and for each
 * resource handle it takes, the constructor call (itself generated) that makes that handle first.
 */
import fc from 'fast-check';
import { type Json, type JsonObject, loadArbitraries, type ToolDefinition } from '../../runtime/index.ts';

// The check code is itself loaded on first use (the `check` command, the `check-component` tool).
const { arbitraryJsonFor, containsHandle } = await loadArbitraries();

/** A call to make, with the constructor calls whose handles fill its handle parameters. */
export interface PlannedCall {
  tool: string;
  args: JsonObject;
  handles: { param: string; ctor: PlannedCall }[];
}

/** Strings up to this many code points, lists up to this many items (sometimes). */
const GENERATION = { maxStringLength: 64, maxListLength: 40 };

/** Constructors of handles that themselves need handles are followed this deep. */
const MAX_CTOR_DEPTH = 2;

/** The constructor of `resource` exported beside `tool`'s function, if any. */
function constructorOf(resource: string, tool: ToolDefinition, tools: ToolDefinition[]) {
  return tools.find(
    (t) => t.function.name === `[constructor]${resource}` && t.function.interface === tool.function.interface,
  );
}

/**
 * An arbitrary of planned calls of `tool`, or why it cannot be generated (a handle nested inside another
 * type, or a resource without a constructor).
 */
export function plannedCallArbitrary(
  tool: ToolDefinition,
  tools: ToolDefinition[],
  depth = 0,
): fc.Arbitrary<PlannedCall> | string {
  const plain: Record<string, fc.Arbitrary<Json>> = {};
  const ctors: Record<string, fc.Arbitrary<PlannedCall>> = {};
  for (const param of tool.function.params) {
    const { type } = param;
    if (!containsHandle(type)) {
      plain[param.name] = arbitraryJsonFor(type, GENERATION);
      continue;
    }
    if (type.kind !== 'own' && type.kind !== 'borrow') {
      return `parameter "${param.name}" holds a resource handle inside a ${type.kind}, which check does not generate`;
    }
    const ctor = constructorOf(type.resource, tool, tools);
    if (!ctor)
      return `parameter "${param.name}" needs a "${type.resource}" handle, and the component exports no constructor for it`;
    if (depth >= MAX_CTOR_DEPTH) return `its "${type.resource}" handle needs constructors nested too deep`;
    const plan = plannedCallArbitrary(ctor, tools, depth + 1);
    if (typeof plan === 'string') return `the constructor of "${type.resource}" cannot be generated: ${plan}`;
    ctors[param.name] = plan;
  }
  return fc.record({ args: fc.record(plain), ctors: fc.record(ctors) }).map(({ args, ctors: made }) => ({
    tool: tool.name,
    args: args as JsonObject,
    handles: Object.entries(made).map(([param, ctor]) => ({ param, ctor })),
  }));
}

/** True when the call needs a live instance (it takes handles). */
export function needsInstance(plan: PlannedCall): boolean {
  return plan.handles.length > 0;
}
