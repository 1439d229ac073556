/**
 * Inside the retrain job's worker thread: a store connection and registry of its own over the same
 * QuestDB and model directory, the plant's scopes rebuilt from the plant file, each scope retrained
 * in turn. Progress goes to the parent as it happens; the last message is the result or the error.
 */
import { setPriority } from 'node:os';
import { parentPort, workerData } from 'node:worker_threads';
import { ModelRegistry } from '../../models/index.ts';
import { modelScopes } from '../../pipelines/scopes.ts';
import type { Config } from '../config.ts';
import { errorMessage } from '../errors.ts';
import type { Plant } from '../plant/index.ts';
import { connectStore } from '../store/index.ts';
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

// Linux keeps the nice value per thread (and threads started from here inherit it): lowered, the
// retrain leaves the API's thread and QuestDB first call on the CPU, which on two cores is what
// held the scores' tail down. Elsewhere it would lower the whole process, so it is left alone.
export const RETRAIN_NICE = 10;
if (process.platform === 'linux') {
  try {
    setPriority(0, RETRAIN_NICE);
  } catch {
    // not allowed here: the retrain runs at the process's priority
  }
}

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
