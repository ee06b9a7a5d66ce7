/** Public API of the machines layer. */
export {
  ComponentHost,
  type ComponentHostOptions,
  type ComponentSummary,
  defaultStopGraceMs,
  type LoadRequest,
} from './ComponentHost.ts';
export {
  type CallSettled,
  type ComponentContext,
  type ComponentEvent,
  type ComponentInput,
  type ComponentState,
  componentMachine,
  defaultCancelGraceMs,
  type LoadReply,
  type LoadSpec,
} from './componentMachine.ts';
export { createDeferred, type Deferred } from './deferred.ts';
export { type HostEvent, hostMachine, type LoadResult } from './hostMachine.ts';
export { MachineError, type MachineErrorCode } from './MachineError.ts';
export { publicToolName } from './toolNames.ts';
