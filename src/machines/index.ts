/** Public API of the machines layer. */
export {
  ComponentHost,
  type ComponentHostOptions,
  type ComponentSummary,
  defaultStopGraceMs,
  type InstanceSummary,
  type LoadRequest,
} from './ComponentHost.ts';
export { componentMachine } from './componentMachine.ts';
export {
  type CallSettled,
  type ComponentContext,
  type ComponentEvent,
  type ComponentInput,
  type ComponentState,
  defaultCancelGraceMs,
  defaultInstanceIdleMs,
  defaultMaxInstances,
  type LoadReply,
  type LoadSpec,
} from './componentTypes.ts';
export { type CallWatchEvent, createDeferred, type Deferred } from './deferred.ts';
export { type HostEvent, hostMachine, type LoadResult } from './hostMachine.ts';
export { instanceMachine } from './instanceMachine.ts';
export { type InstanceEndReason, redactHandle } from './instanceRules.ts';
export type { InstanceContext, InstanceEvent, InstanceInput, InstanceState } from './instanceTypes.ts';
export { MachineError, type MachineErrorCode } from './MachineError.ts';
export { publicToolName } from './toolNames.ts';
