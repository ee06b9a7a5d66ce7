/** The per-call path of the machines: the O(1) call queue and the long-lived call executor. */
export { CallQueue } from './CallQueue.ts';
export {
  type CallInput,
  type CallResult,
  type CallRunner,
  type CallSettled,
  type CallSettledEvent,
  callExecutor,
  createCallExecutor,
  type ExecutorEvent,
  executorId,
  runCall,
} from './callExecutor.ts';
