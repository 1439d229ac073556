/**
 * The retrain job's work for one model scope: the first models the history can now back-test, the
 * weekly relearning of normal operation, then champion/challenger for every promoted failure and
 * RUL model. It runs in a child process of its own (`retrain-runner.ts`) so that minutes of
 * feature computation and backtests do not hold the API's event loop, or in the calling thread.
 */
import type { ModelRegistry } from '../../models/index.ts';
import { computeStoreFeatures, ensureInitialModels } from '../../pipelines/index.ts';
import { retrainFailureHorizon, retrainModels } from '../../pipelines/retrain.ts';
import type { RetrainOutcome } from '../../pipelines/retrain.ts';
import { anomalyModelName, failureModelName } from '../../pipelines/scopes.ts';
import type { ModelScope } from '../../pipelines/scopes.ts';
import { trainAnomalyModel } from '../../pipelines/train.ts';
import type { JobsConfig } from '../config.ts';
import type { Store } from '../store/index.ts';

export interface RetrainScopeOptions {
  readonly metric: JobsConfig['retrainMetric'];
  /** Trees per retrained forest (default 100). */
  readonly trees?: number;
  /** Told each step (the work runs for minutes). */
  readonly onProgress?: (what: string) => void;
}

export interface RetrainScopeResult {
  /** Models promoted (challengers that won, first models trained). */
  readonly promoted: number;
  /** One line for the run history. */
  readonly detail: string;
}

/** The anomaly model is relearnt when its training window ends more than this before now. */
const ANOMALY_REFIT_MICROS = 7 * 86_400e6;

function outcome(name: string, o: RetrainOutcome): string {
  return 'error' in o ? `${name}: not trained (${o.error})` : `${name}: ${o.reason}`;
}

/** One scope's nightly work: first models still missing, then champion/challenger. */
export async function retrainScope(
  store: Store,
  registry: ModelRegistry,
  scope: ModelScope,
  range: { from: number; to: number },
  o: RetrainScopeOptions,
): Promise<RetrainScopeResult> {
  const horizons = store.config.models.failureHorizonsHours;
  const primary = horizons[0] as number;
  const step = (what: string) => o.onProgress?.(`${scope.name}: ${what}`);
  // One read of the history serves the first models and every challenge below.
  step('reading the history and computing features');
  const features = await computeStoreFeatures(store, scope, range);
  const first = await ensureInitialModels(store, registry, scope, range, {
    horizons,
    trees: o.trees,
    alertBudget: store.config.models.alertBudget,
    workOrderBudget: store.config.models.workOrderBudget,
    anomalyAlarmBudget: store.config.models.anomalyAlarmBudget,
    features,
    onStep: step,
  });
  const addedModels = [first.failure, ...first.horizons, first.rul, first.anomaly, ...first.modes]
    .filter((m) => 'model' in m)
    .map((m) => m.model);
  // Normal operation moves (seasons, new products): the anomaly model relearns it weekly.
  const anomalyName = anomalyModelName(scope);
  const anomalyAt = registry.promoted(anomalyName);
  if (anomalyAt !== null && !addedModels.some((m) => m.name === anomalyName)) {
    const trainedTo = registry.meta(anomalyName, anomalyAt).trainingWindow?.to;
    if (trainedTo === undefined || Date.parse(trainedTo) * 1000 < range.to - ANOMALY_REFIT_MICROS) {
      step('relearning normal operation (anomaly model)');
      const a = await trainAnomalyModel(store, registry, scope, range, {
        features,
        alarmBudget: store.config.models.anomalyAlarmBudget,
      });
      registry.promote(a.model.name, a.model.version);
      addedModels.push(a.model);
    }
  }
  const added = addedModels.map((m) => `${m.name}@${m.version}`);
  step(
    'challenging the promoted failure and RUL models (fit at an earlier cut, compared on the instants since)',
  );
  const r = await retrainModels(store, registry, scope, range, {
    metric: o.metric,
    trees: o.trees,
    alertBudget: store.config.models.alertBudget,
    workOrderBudget: store.config.models.workOrderBudget,
    horizonHours: primary,
    features,
  });
  // Promoted longer horizons are challenged too (not the ones just trained above).
  const longer: { horizon: number; outcome: RetrainOutcome }[] = [];
  for (const h of horizons.slice(1)) {
    const name = failureModelName(scope, h);
    if (registry.promoted(name) === null || addedModels.some((m) => m.name === name)) continue;
    step(`challenging the ${h} h failure model`);
    longer.push({
      horizon: h,
      outcome: await retrainFailureHorizon(store, registry, scope, range, {
        metric: o.metric,
        trees: o.trees,
        alertBudget: store.config.models.alertBudget,
        workOrderBudget: store.config.models.workOrderBudget,
        horizonHours: h,
        features,
      }),
    });
  }
  const all = [r.failure, r.rul, ...r.byMode.map((b) => b.outcome), ...longer.map((l) => l.outcome)];
  const promoted = all.filter((o) => !('error' in o) && o.promoted).length + added.length;
  const modes = r.byMode.map((b) => `; ${outcome(b.mode, b.outcome)}`).join('');
  const horizonsDetail = longer.map((l) => `; ${outcome(`failure ${l.horizon} h`, l.outcome)}`).join('');
  return {
    promoted,
    detail:
      `${scope.name}: ` +
      (added.length > 0 ? `first models trained: ${added.join(', ')}; ` : '') +
      `${outcome('failure', r.failure)}; ${outcome('rul', r.rul)}${modes}${horizonsDetail}`,
  };
}

/** Every scope in turn (the job's work, in whichever thread runs it). */
export async function retrainScopes(
  store: Store,
  registry: ModelRegistry,
  scopes: readonly ModelScope[],
  range: { from: number; to: number },
  o: RetrainScopeOptions,
): Promise<RetrainScopeResult[]> {
  const results: RetrainScopeResult[] = [];
  for (const scope of scopes) results.push(await retrainScope(store, registry, scope, range, o));
  return results;
}
