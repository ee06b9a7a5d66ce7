/** Instance workers: each live instance runs in its own worker thread, driven from the main thread. */
export { workerEntry } from './entry.ts';
export type { ComponentPayload, WorkerReply } from './protocol.ts';
export { releaseMemory } from './releaseMemory.ts';
export { defaultWorkerIdleMs, StatelessPool } from './StatelessPool.ts';
export { resetWorkerStats, WorkerClient, workerStats } from './WorkerClient.ts';
