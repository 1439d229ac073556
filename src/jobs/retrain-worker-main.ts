/**
 * Inside the retrain job's worker thread: a store connection and registry of its own over the same
 * QuestDB and model directory, the plant's scopes rebuilt from the plant file, each scope retrained
 * in turn. Progress goes to the parent as it happens; the last message is the result or the error.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { ModelRegistry } from '../../models/index.ts';
import { modelScopes } from '../../pipelines/scopes.ts';
import type { Config } from '../config.ts';
import { errorMessage } from '../errors.ts';
import type { Plant } from '../plant/index.ts';
import { connectStore } from '../store/index.ts';
import { lowerThreadPriority } from '../thread-priority.ts';
import { retrainScopes } from './retrain-scope.ts';
import type { RetrainScopeOptions, RetrainScopeResult } from './retrain-scope.ts';

export interface RetrainWorkerData {
  readonly config: Config;
  readonly tablePrefix: string;
  readonly registryDir: string;
  readonly plant: Plant;
  readonly scopes: readonly string[];
  readonly range: { from: number; to: number };
  readonly metric: RetrainScopeOptions['metric'];
  readonly trees?: number;
}

export type RetrainWorkerMessage =
  { readonly progress: string } | { readonly done: RetrainScopeResult[] } | { readonly error: string };

// Below the API's thread, which keeps answering while the retrain runs.
export const RETRAIN_NICE = 10;
lowerThreadPriority(RETRAIN_NICE);

const d = workerData as RetrainWorkerData;
const post = (m: RetrainWorkerMessage) => parentPort?.postMessage(m);
try {
  const store = await connectStore(d.config, { start: false, tablePrefix: d.tablePrefix });
  try {
    const registry = new ModelRegistry(d.registryDir);
    const byName = new Map(modelScopes(d.plant).map((s) => [s.name, s]));
    const scopes = d.scopes.map((name) => {
      const scope = byName.get(name);
      if (scope === undefined) throw new Error(`the plant file has no model scope ${name} any more`);
      return scope;
    });
    const results = await retrainScopes(store, registry, scopes, d.range, {
      metric: d.metric,
      trees: d.trees,
      onProgress: (progress) => post({ progress }),
    });
    post({ done: results });
  } finally {
    await store.close();
  }
} catch (err) {
  post({ error: errorMessage(err) });
}
