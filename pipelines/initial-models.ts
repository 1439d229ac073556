/**
 * First models for a plant: when a failure or RUL model is not promoted yet, backtest its recipe
 * walk-forward on the stored history (the harness: leak-free folds, purged calibration), then fit
 * it at the end of the history, record the backtest and the gate's verdict with the model and
 * promote it: the model answers if it beat its references out of sample, else the best reference
 * does, named as such. Used by `npm start` on a fresh database and by the retrain job, which so
 * adds a longer horizon's model once the history has grown enough to backtest it.
 */
import type { ModelMeta, ModelRegistry } from '../models/index.ts';
import { errorMessage } from '../src/errors.ts';
import type { Store } from '../src/store/index.ts';
import { backtestFailure } from './backtest-failure.ts';
import type { FailureBacktest } from './backtest-failure.ts';
import { backtestRul } from './backtest-rul.ts';
import type { RulBacktest } from './backtest-rul.ts';
import type { TimeRange } from './data.ts';
import { computeStoreFeatures } from './features.ts';
import type { FeatureRun } from './features.ts';
import { writeBacktestHistory } from './forecast.ts';
import type { RulQuantiles } from '../models/index.ts';
import type { AnomalyBacktest } from './backtest-anomaly.ts';
import { trainAnomalyModel, trainFailureModel, trainRulModel } from './train.ts';
import { anomalyModelName, failureModelName, rulModelName } from './scopes.ts';
import type { ModelScope } from './scopes.ts';

/** A failure backtest's figures as a version records them beside itself (`pdm models list`). */
export function failureBacktestMetrics(b: FailureBacktest): Record<string, number> {
  return {
    backtest_roc_auc: b.roc_auc,
    backtest_pr_auc: b.pr_auc,
    backtest_brier: b.brier,
    backtest_base_rate_brier: b.base_rate_brier,
    backtest_brier_skill: b.brier_skill,
    backtest_ece: b.ece,
    backtest_baseline_roc_auc: b.baseline.roc_auc,
    backtest_baseline_brier: b.baseline.brier,
    backtest_persistence_roc_auc: b.persistence.roc_auc,
    backtest_lead_time_median_h: b.lead_time_h.median,
    backtest_false_alarms_per_equipment_month: b.false_alarms_per_equipment_month,
  };
}

/** A RUL backtest's figures as a version records them. */
export function rulBacktestMetrics(b: RulBacktest): Record<string, number> {
  return {
    backtest_rmse_h: b.rmse_h,
    backtest_mae_h: b.mae_h,
    backtest_baseline_rmse_h: b.baseline.rmse_h,
    backtest_weibull_baseline_rmse_h: b.weibull_baseline.rmse_h,
    backtest_interval_coverage: b.interval_coverage,
  };
}

export interface InitialModels {
  /** The primary horizon's any-mode model. */
  readonly failure: { model: ModelMeta; backtest: FailureBacktest } | { skipped: string };
  /** The other horizons' any-mode models. */
  readonly horizons: (
    | { horizon_h: number; model: ModelMeta; backtest: FailureBacktest }
    | { horizon_h: number; skipped: string }
  )[];
  /** Per failure mode with at least `minModeFailures` failures in the history. */
  readonly modes: (
    { mode: string; model: ModelMeta; backtest: FailureBacktest } | { mode: string; skipped: string }
  )[];
  readonly rul: { model: ModelMeta; backtest: RulBacktest } | { skipped: string };
  /** The anomaly model (health index), learnt from normal operation: needs no failure. */
  readonly anomaly: { model: ModelMeta; backtest: AnomalyBacktest | null } | { skipped: string };
  /** Forecast rows written from the walk-forward's out-of-sample scores (marked backtest:<model>). */
  readonly history_rows: number;
}

export async function ensureInitialModels(
  store: Store,
  registry: ModelRegistry,
  scope: ModelScope,
  range: TimeRange,
  o: {
    trees?: number;
    /** "Failure within H" horizons, the first primary (per-mode models use it). Default [24]. */
    horizons?: readonly number[];
    capHours?: number;
    /** A mode gets a model of its own from this many failures in the history (default 3). */
    minModeFailures?: number;
    /** False alarms per equipment-month the alert thresholds are chosen for (default 2). */
    alertBudget?: number;
    /** False work orders per equipment-month the work-order levels are chosen for (default 0.2). */
    workOrderBudget?: number;
    /** False alarms per equipment-month the anomaly model's alarm level is chosen for (default 2). */
    anomalyAlarmBudget?: number;
    /** Features already computed over `range` at the scope's spacing. */
    features?: FeatureRun;
    onStep?: (what: string) => void;
  } = {},
): Promise<InitialModels> {
  const horizons = o.horizons ?? [24];
  const horizon = horizons[0] as number;
  const cap = o.capHours ?? 168;
  const rulName = rulModelName(scope, cap);
  const spanHours = (range.to - range.from) / 3.6e9;
  const already = 'already promoted';
  // A horizon needs a walk-forward backtest: its first training period ends half-way through the
  // history and must hold instants whose outcome H hours later is known, a day's worth at least.
  const tooShort = (h: number) =>
    spanHours < 2 * h + 48
      ? `the history spans ${spanHours.toFixed(0)} h; a ${h} h horizon needs ${2 * h + 48} h (twice the horizon plus two days) to be backtested`
      : undefined;
  /** Why a horizon's any-mode model is not to be bootstrapped now; undefined when it is. */
  const skipReason = (h: number) =>
    registry.promoted(failureModelName(scope, h)) !== null ? already : tooShort(h);
  const needRul = registry.promoted(rulName) === null;
  const needAnomaly = registry.promoted(anomalyModelName(scope)) === null;
  if (!horizons.some((h) => skipReason(h) === undefined) && !needRul && !needAnomaly) {
    return {
      failure: { skipped: skipReason(horizon) ?? already },
      horizons: horizons.slice(1).map((h) => ({ horizon_h: h, skipped: skipReason(h) ?? already })),
      rul: { skipped: already },
      anomaly: { skipped: already },
      modes: [],
      history_rows: 0,
    };
  }
  o.onStep?.('computing features over the stored history');
  const features =
    o.features ?? (await computeStoreFeatures(store, scope, range, scope.everySeconds, o.onStep));
  const trees = o.trees ?? 100;
  // One recipe for each horizon's any-mode model and each per-mode one: backtest, train on all, promote.
  // The primary model's and the RUL's out-of-sample scores, written as forecast history below.
  const history = new Map<string, { ts: number; equipment: string; p: number; rul?: RulQuantiles }>();
  const key = (ts: number, equipment: string) => `${equipment}\u0000${ts}`;
  const bootstrapFailure = async (mode: string | undefined, horizon: number) => {
    const what = mode === undefined ? '' : ` by ${mode}`;
    o.onStep?.(`backtesting failure${what} within ${horizon} h (walk-forward)`);
    const primary = mode === undefined && horizon === horizons[0];
    const backtest = await backtestFailure(store, scope, range, {
      horizonHours: horizon,
      mode,
      features,
      forest: { trees },
      alertBudget: o.alertBudget,
      workOrderBudget: o.workOrderBudget,
      ...(primary
        ? { onTestScore: (ts, equipment, p) => history.set(key(ts, equipment), { ts, equipment, p }) }
        : {}),
    });
    o.onStep?.(
      `fitting ${failureModelName(scope, horizon, mode)} on the stored history (forest on every labelled instant; calibration and alert threshold on cross-fitted scores)`,
    );
    const model = await trainFailureModel(store, registry, scope, range, {
      horizonHours: horizon,
      mode,
      trees,
      features,
      alertBudget: o.alertBudget,
      workOrderBudget: o.workOrderBudget,
      gate: backtest.gate,
      metrics: failureBacktestMetrics(backtest),
    });
    registry.saveBacktest(model.name, model.version, backtest);
    // Promoted either way: the version is what this name serves now, and its gate says whether
    // the model answers or, having lost to its references out of sample, the best reference does
    // (named as such wherever it answers).
    registry.promote(model.name, model.version);
    return { model, backtest };
  };
  const bootstrapHorizon = async (h: number): Promise<InitialModels['failure']> => {
    const skip = skipReason(h);
    if (skip !== undefined) return { skipped: skip };
    try {
      return await bootstrapFailure(undefined, h);
    } catch (err) {
      return { skipped: errorMessage(err) };
    }
  };
  const failure = await bootstrapHorizon(horizon);
  const longer: InitialModels['horizons'] = [];
  for (const h of horizons.slice(1)) longer.push({ horizon_h: h, ...(await bootstrapHorizon(h)) });
  // Per-mode models, for the modes the history has seen fail often enough.
  const counts = new Map<string, number>();
  for (const f of features.failures) counts.set(f.mode, (counts.get(f.mode) ?? 0) + 1);
  const modes: InitialModels['modes'] = [];
  for (const [mode, n] of [...counts].sort((a, b) => b[1] - a[1])) {
    if (n < (o.minModeFailures ?? 3) || !/^[a-z0-9_]+$/.test(mode)) continue;
    if (registry.promoted(failureModelName(scope, horizon, mode)) !== null || tooShort(horizon) !== undefined)
      continue;
    try {
      modes.push({ mode, ...(await bootstrapFailure(mode, horizon)) });
    } catch (err) {
      modes.push({ mode, skipped: errorMessage(err) });
    }
  }
  let rul: InitialModels['rul'] = { skipped: already };
  if (needRul) {
    try {
      o.onStep?.(`backtesting RUL capped at ${cap} h (walk-forward)`);
      const backtest = await backtestRul(store, scope, range, {
        capHours: cap,
        trees,
        features,
        onTestScore: (ts, equipment, r) => {
          const h = history.get(key(ts, equipment));
          if (h !== undefined) h.rul = r;
        },
      });
      o.onStep?.(
        `fitting ${rulName} on the stored history (forest, then its conformal interval on the latest quarter)`,
      );
      const model = await trainRulModel(store, registry, scope, range, {
        rulCapHours: cap,
        trees,
        features,
        gate: backtest.gate,
        metrics: rulBacktestMetrics(backtest),
      });
      registry.saveBacktest(model.name, model.version, backtest);
      registry.promote(model.name, model.version);
      rul = { model, backtest };
    } catch (err) {
      rul = { skipped: errorMessage(err) };
    }
  }
  let anomaly: InitialModels['anomaly'] = { skipped: already };
  if (needAnomaly) {
    try {
      o.onStep?.(
        'learning normal operation for the anomaly model (health index), and backtesting it with failures hidden',
      );
      const a = await trainAnomalyModel(store, registry, scope, range, {
        features,
        alarmBudget: o.anomalyAlarmBudget,
      });
      registry.promote(a.model.name, a.model.version);
      anomaly = a;
    } catch (err) {
      anomaly = { skipped: errorMessage(err) };
    }
  }
  let historyRows = 0;
  if (history.size > 0 && 'model' in failure) {
    o.onStep?.('writing the walk-forward scores as forecast history');
    historyRows = await writeBacktestHistory(store, failure.model.name, horizon, history, cap);
  }
  return { failure, horizons: longer, rul, anomaly, modes, history_rows: historyRows };
}
