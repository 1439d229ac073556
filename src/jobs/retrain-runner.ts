/**
 * Runs the retrain job's work off the calling thread: a worker thread (`retrain-worker-main.ts`)
 * with its own store connection retrains every scope and reports progress as it goes. Minutes of
 * feature computation, walk-forward backtests and forest fits then leave the API's event loop free
 * (a nightly retrain stalled every `/v1/score` answer while it ran).
 */
import { Worker } from 'node:worker_threads';
import type { ModelRegistry } from '../../models/index.ts';
import type { ModelScope } from '../../pipelines/scopes.ts';
import type { Plant } from '../plant/index.ts';
import { prefixOf } from '../store/index.ts';
import type { Store } from '../store/index.ts';
import type { RetrainScopeOptions, RetrainScopeResult } from './retrain-scope.ts';
import type { RetrainWorkerData, RetrainWorkerMessage } from './retrain-worker-main.ts';

export async function retrainInWorker(
  store: Store,
  registry: ModelRegistry,
  plant: Plant,
  scopes: readonly ModelScope[],
  range: { from: number; to: number },
  o: RetrainScopeOptions,
): Promise<RetrainScopeResult[]> {
  const data: RetrainWorkerData = {
    config: store.config,
    tablePrefix: prefixOf(store.tables),
    registryDir: registry.dir,
    plant,
    scopes: scopes.map((s) => s.name),
    range,
    metric: o.metric,
    trees: o.trees,
  };
  const worker = new Worker(new URL('./retrain-worker.js', import.meta.url), { workerData: data });
  return await new Promise<RetrainScopeResult[]>((resolve, reject) => {
    let settled = false;
    worker.on('message', (m: RetrainWorkerMessage) => {
      if ('progress' in m) o.onProgress?.(m.progress);
      else {
        settled = true;
        if ('done' in m) resolve(m.done);
        else reject(new Error(m.error));
        void worker.terminate();
      }
    });
    worker.once('error', (err) => {
      settled = true;
      reject(err);
    });
    worker.once('exit', (code) => {
      if (!settled) reject(new Error(`the retrain worker stopped (exit code ${code}) before it answered`));
    });
  });
}
