/** Public API of the machines layer. */
export {
  ComponentHost,
  type ComponentHostOptions,
  type ComponentSummary,
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
  type LoadReply,
  type LoadSpec,
} from './componentTypes.ts';
export { createDeferred, type Deferred } from './deferred.ts';
export { type HostEvent, hostMachine, type LoadResult } from './hostMachine.ts';
export { MachineError, type MachineErrorCode } from './MachineError.ts';
export { publicToolName } from './toolNames.ts';
