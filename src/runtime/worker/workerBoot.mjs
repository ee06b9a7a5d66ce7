// The first script of every instance worker thread. It makes preview2-shim's helper thread lazy (see
// lazyShimThread.mjs), then loads the worker host named by `workerData.main`: the bundled JavaScript, or
// the TypeScript through tsx (instanceWorker.boot.js). Plain JavaScript, so it needs no loader itself.
import { workerData } from 'node:worker_threads';
import { withLazyShimThread } from './lazyShimThread.mjs';

await withLazyShimThread(() => import(workerData.main));
