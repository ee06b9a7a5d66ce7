// Entry point of an instance worker thread. Worker threads do not inherit the main thread's TypeScript
// loader, so this registers tsx's loader in this thread before importing the TypeScript host.
import { register } from 'tsx/esm/api';

register();
await import('./instanceWorker.ts');
