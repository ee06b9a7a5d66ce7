/** Public API of the machines layer. */
export {
  ComponentHost,
  type ComponentHostOptions,
  defaultStopGraceMs,
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
export type {
  ComponentSummary,
  InstanceContext,
  InstanceEvent,
  InstanceInput,
  InstanceState,
  InstanceSummary,
} from './instanceTypes.ts';
export { MachineError, type MachineErrorCode } from './MachineError.ts';
export { publicToolName } from './toolNames.ts';
