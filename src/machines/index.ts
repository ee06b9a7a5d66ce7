/** Public API of the machines layer. */
export {
  ComponentHost,
  type ComponentHostOptions,
  type ComponentSummary,
  type LoadRequest,
} from './ComponentHost.ts';
export {
  type ComponentContext,
  type ComponentEvent,
  type ComponentInput,
  type ComponentState,
  componentMachine,
  type LoadReply,
  type LoadSpec,
} from './componentMachine.ts';
export { createDeferred, type Deferred } from './deferred.ts';
export { type HostEvent, hostMachine, type LoadResult } from './hostMachine.ts';
export { MachineError, type MachineErrorCode } from './MachineError.ts';
export { publicToolName } from './toolNames.ts';
