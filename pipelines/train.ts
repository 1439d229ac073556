/**
 * Training recipes over stored history, registering what they train: the failure and RUL kinds
 * fitted through the harness at a cut (by default the end of the history), with the references
 * fitted beside them and the gate's verdict when a backtest judged the recipe. What the training
 * side is: the failure forest fits the instants whose horizon was over before the calibration
 * slice (the latest quarter of labelled instants), which calibrates it and chooses its alert
 * threshold; the RUL forest fits the instants before its calibration slice, which gives its
 * conformal interval. Instants whose outcome is not known by the cut train nothing.
 */
import { calibratorJson } from '../models/index.ts';
import type { ForestOptions, ModelMeta, ModelRegistry } from '../models/index.ts';
import type { Store } from '../src/store/index.ts';
import type { TimeRange } from './data.ts';
import { fitFailure, FAILURE_FOREST } from './failure-kind.ts';
import { zName } from '../models/context-z.ts';
import type { FailureFit } from './failure-kind.ts';
import { computeStoreFeatures, evidenceOf } from './features.ts';
import type { FeatureRun } from './features.ts';
import type { Gate } from './gate.ts';
import { CROSS_FIT_BLOCKS, sensorProfiles } from './harness.ts';
import type { Evidence } from './harness.ts';
import { fitRul, RUL_FOREST } from './rul-kind.ts';
import type { RulFit } from './rul-kind.ts';
import { fitAnomalyKind } from './anomaly-kind.ts';
import { backtestAnomalyEvidence } from './backtest-anomaly.ts';
import type { AnomalyBacktest } from './backtest-anomaly.ts';
import { anomalyModelName, failureModelName, rulModelName } from './scopes.ts';
import type { ModelScope } from './scopes.ts';
import {
  DEFAULT_ALERT_BUDGET,
  DEFAULT_ANOMALY_ALARM_BUDGET,
  DEFAULT_WORK_ORDER_BUDGET,
} from './alert-policy.ts';

export { FAILURE_FOREST, RUL_FOREST };

export interface TrainOptions {
  readonly horizonHours?: number;
  readonly mode?: string;
  readonly rulCapHours?: number;
  readonly everySeconds?: number;
  readonly trees?: number;
  readonly seed?: number;
  readonly forest?: Partial<ForestOptions>;
  /** False alarms per equipment-month for the alert threshold (default 2). */
  readonly alertBudget?: number;
  /** False work orders per equipment-month for the work-order level (default 0.2). */
  readonly workOrderBudget?: number;
  /** Features already computed over `range` (at everySeconds): saves recomputing them. */
  readonly features?: FeatureRun;
  /** Figures to record with the model, e.g. its backtest. */
  readonly metrics?: Readonly<Record<string, number>>;
  /** The gate's verdict on the recipe's walk-forward, recorded with the model. */
  readonly gate?: Gate;
}

const iso = (micros: number) => new Date(micros / 1000).toISOString();

async function evidenceFor(
  store: Store,
  scope: ModelScope,
  range: TimeRange,
  o: TrainOptions,
): Promise<Evidence> {
  const run = o.features ?? (await computeStoreFeatures(store, scope, range, o.everySeconds));
  return evidenceOf(run, scope.featureSet, range.to);
}

/** What every model of a scope records: its scope, classes and feature set. */
function scoped(scope: ModelScope) {
  const fs = scope.featureSet;
  return {
    scope: scope.name,
    classes: [...scope.classes],
    featureSet: fs.name,
    featureSetHash: fs.hash,
    featureNames: fs.columns,
  };
}

/** Fits the failure kind at `range.to` (everything in the range is before the cut) and registers it. */
export async function trainFailureModel(
  store: Store,
  registry: ModelRegistry,
  scope: ModelScope,
  range: TimeRange,
  o: TrainOptions = {},
): Promise<ModelMeta> {
  const ev = await evidenceFor(store, scope, range, o);
  const hours = o.horizonHours ?? 24;
  const recipe = {
    horizonHours: hours,
    mode: o.mode,
    trees: o.trees ?? 100,
    seed: o.seed ?? 17,
    forest: o.forest,
    alertBudget: o.alertBudget ?? DEFAULT_ALERT_BUDGET,
    workOrderBudget: o.workOrderBudget ?? DEFAULT_WORK_ORDER_BUDGET,
    policyOf: scope.alertPolicyOf,
  };
  const fit = await fitFailure(ev, range.to, recipe);
  return saveFailure(registry, scope, range, fit, recipe, { ...o, ev });
}

export function saveFailure(
  registry: ModelRegistry,
  scope: ModelScope,
  range: TimeRange,
  fit: FailureFit,
  recipe: {
    horizonHours: number;
    mode?: string;
    trees: number;
    seed: number;
    alertBudget: number;
    workOrderBudget?: number;
    crossFit?: number;
  },
  o: Pick<TrainOptions, 'metrics' | 'gate'> & { ev?: Evidence } = {},
): ModelMeta {
  const { horizonHours: hours, mode } = recipe;
  const fs = scope.featureSet;
  const names = fit.contextZ === null ? fs.columns : [...fs.columns, ...fit.contextZ.features.map(zName)];
  return registry.save(
    failureModelName(scope, hours, mode),
    fit.forest,
    {
      kind: 'failure-classifier',
      target: `failure within ${hours} h (${mode ?? 'any mode'})`,
      horizonHours: hours,
      mode: mode ?? 'any',
      ...scoped(scope),
      featureNames: names,
      trainingWindow: { from: iso(range.from), to: iso(range.to) },
      rows: fit.set.rows.length,
      metrics: {
        positives: fit.set.y.reduce((s, v) => s + v, 0),
        calibration_rows: fit.set.calRows.length,
        cross_fit_blocks: fit.crossFitBlocks,
        climatology: fit.climatology.rate,
        ...o.metrics,
      },
      calibration: calibratorJson(fit.calibrator),
      baselines: [...(fit.oneSensor ? [fit.oneSensor] : []), fit.climatology],
      alertThreshold: fit.alertThreshold,
      workOrderThreshold: fit.workOrderThreshold,
      ...(o.ev
        ? { sensorProfiles: sensorProfiles(o.ev, [...fit.set.rows, ...fit.set.calRows], fs.sensors) }
        : {}),
      ...(o.gate ? { gate: o.gate } : {}),
      recipe: {
        trees: recipe.trees,
        seed: recipe.seed,
        alertBudget: recipe.alertBudget,
        workOrderBudget: recipe.workOrderBudget ?? DEFAULT_WORK_ORDER_BUDGET,
        contextZ: fit.contextZ === null ? 0 : 1,
        // The recipe's blocks (the fit falls back to the latest quarter when they cannot be scored).
        crossFit: recipe.crossFit ?? CROSS_FIT_BLOCKS,
        calibrationFrom: iso(fit.set.calStart),
        cut: iso(range.to),
      },
    },
    fit.contextZ,
  );
}

/** Fits the RUL kind at `range.to` and registers it with its conformal interval and references. */
export async function trainRulModel(
  store: Store,
  registry: ModelRegistry,
  scope: ModelScope,
  range: TimeRange,
  o: TrainOptions = {},
): Promise<ModelMeta> {
  const ev = await evidenceFor(store, scope, range, o);
  const recipe = { capHours: o.rulCapHours ?? 168, trees: o.trees ?? 100, seed: o.seed ?? 19 };
  const fit = await fitRul(ev, range.to, recipe);
  return saveRul(registry, scope, range, fit, recipe, { ...o, ev });
}

export function saveRul(
  registry: ModelRegistry,
  scope: ModelScope,
  range: TimeRange,
  fit: RulFit,
  recipe: { capHours: number; trees: number; seed: number },
  o: Pick<TrainOptions, 'metrics' | 'gate'> & { ev?: Evidence } = {},
): ModelMeta {
  const cap = recipe.capHours;
  const t = fit.set;
  const fs = scope.featureSet;
  return registry.save(rulModelName(scope, cap), fit.forest, {
    kind: 'rul-forest',
    target: `RUL hours, capped at ${cap}`,
    capHours: cap,
    ...scoped(scope),
    trainingWindow: { from: iso(range.from), to: iso(range.to) },
    rows: t.rows.length,
    metrics: {
      calibration_rows: t.calRows.length,
      censored_rows_imputed: t.targets.imputed,
      ...(t.targets.weibull
        ? { weibull_shape: t.targets.weibull.shape, weibull_scale_h: t.targets.weibull.scale }
        : {}),
      ...o.metrics,
    },
    baselines: [...(fit.meanLife ? [fit.meanLife] : []), ...(fit.weibull ? [fit.weibull] : [])],
    intervals: fit.intervals,
    ...(o.ev ? { sensorProfiles: sensorProfiles(o.ev, [...t.rows, ...t.calRows], fs.sensors) } : {}),
    ...(o.gate ? { gate: o.gate } : {}),
    recipe: {
      trees: recipe.trees,
      seed: recipe.seed,
      calibrationFrom: iso(t.calStart),
      cut: iso(range.to),
    },
  });
}

/**
 * The anomaly model of a scope on its stored history: "normal" is every instant before the end
 * that is not in or just after a maintenance and not within 48 h before a recorded failure (none
 * needed). Where the history holds failures, the walk-forward backtest with them hidden is run
 * on the same features and recorded beside it (how early and how falsely it would have warned).
 */
export async function trainAnomalyModel(
  store: Store,
  registry: ModelRegistry,
  scope: ModelScope,
  range: TimeRange,
  o: Pick<TrainOptions, 'features' | 'everySeconds'> & {
    /** False alarms per equipment-month on normal operation at the alarm level (default 2). */
    alarmBudget?: number;
  } = {},
): Promise<{ model: ModelMeta; backtest: AnomalyBacktest | null }> {
  const ev = await evidenceFor(store, scope, range, o);
  const policyOf = scope.alertPolicyOf;
  // Resolved once: the fit, the backtest and the recipe record the same budget.
  const alarmBudget = o.alarmBudget ?? DEFAULT_ANOMALY_ALARM_BUDGET;
  const fit = fitAnomalyKind(ev, range.to, { alarmBudget, policyOf });
  // Judged only where there is something to judge it by: failures in the later half of the history.
  const backtest = ev.failures.some((f) => f.ts > (range.from + range.to) / 2)
    ? backtestAnomalyEvidence(ev, { alarmBudget, policyOf })
    : null;
  const model = registry.saveAnomaly(anomalyModelName(scope), fit.model, {
    target: 'health index from normal operation (no failure label needed)',
    ...scoped(scope),
    featureNames: fit.model.features,
    trainingWindow: { from: iso(range.from), to: iso(range.to) },
    rows: fit.fitRows,
    metrics: {
      reference_rows: fit.referenceRows,
      excluded_near_failures: fit.excluded.failure,
      excluded_in_maintenance: fit.excluded.maintenance,
      ...(backtest === null
        ? {}
        : {
            backtest_roc_auc: backtest.roc_auc,
            backtest_lead_time_median_h: backtest.lead_time_h.median,
            backtest_false_alarms_per_equipment_month: backtest.false_alarms_per_equipment_month,
            backtest_failures_warned: backtest.failures_warned,
            backtest_failures: backtest.failures_in_test,
          }),
    },
    alarmHealth: fit.alarmHealth,
    recipe: { cut: iso(range.to), trim: 0.1, alarmBudget },
  });
  if (backtest !== null) registry.saveBacktest(model.name, model.version, backtest);
  return { model, backtest };
}
