/**
 * The alert policy replayed over history: the walk-forward failure backtest's out-of-sample
 * probabilities (each fold's model and alert threshold fitted before its cut) are fed, instant by
 * instant and equipment by equipment, through the same AlertTracker the live engine runs, and set
 * beside the raw threshold (every upward crossing of the threshold opens a work order, as naive
 * auto-generation does); alert-replay.ts says how both are judged against the failures that
 * followed. Only the failure-risk cause is replayed (the history holds no past MES plans or
 * quality forecasts).
 */
import type { Store } from '../src/store/index.ts';
import { replayAlerts } from './alert-replay.ts';
import type { AlertFigures, TestScores } from './alert-replay.ts';
import type { AlertPolicy } from './alert-policy.ts';
import { backtestFailure } from './backtest-failure.ts';
import type { FailureBacktest } from './backtest-failure.ts';
import type { TimeRange } from './data.ts';
import { computeStoreFeatures, evidenceOf } from './features.ts';
import { maintenanceSeen } from './harness.ts';
import type { FeatureRun } from './features.ts';
import type { ModelScope } from './scopes.ts';

export { judgeAlerts, replayAlerts, replayConditions } from './alert-replay.ts';
export type {
  AlertFigures,
  AlertReplay,
  ConditionAt,
  ReplayOptions,
  Score,
  TestScores,
} from './alert-replay.ts';

export interface AlertBacktestOptions {
  readonly horizonHours: number;
  readonly folds?: number;
  /** False alarms per equipment-month each fold's alert threshold is chosen for (default 2). */
  readonly alertBudget?: number;
  /** False work orders allowed per equipment-month at the work-order level (default 0.2). */
  readonly workOrderBudget?: number;
  /** false: the forests read the feature set alone, without context z columns (default true). */
  readonly contextZ?: boolean;
  /** Blocks of the cross-fitted calibration and threshold (default CROSS_FIT_BLOCKS); 0: the latest quarter calibrates. */
  readonly crossFit?: number;
  /** The policy of each equipment (its class's, from the plant file). */
  readonly policyOf: (equipment: string) => AlertPolicy;
  readonly lineOf: (equipment: string) => string;
  /** The plant's time zone (quiet hours are local). */
  readonly timeZone?: string;
  /** Features already computed over the range (at the scope's interval). */
  readonly features?: FeatureRun;
  /** Progress: `done` of `total` steps and what is next. */
  readonly onProgress?: (done: number, total: number, what: string) => void;
}

export interface AlertBacktest {
  readonly horizon_h: number;
  readonly equipment: number;
  readonly equipment_months: number;
  readonly test_instants: number;
  /** With the fatigue controls of the policy. */
  readonly policy: AlertFigures;
  /** Every upward crossing of the fold's threshold: an alert and a work order, no controls. */
  readonly raw_threshold: AlertFigures;
  /** The failure backtest underneath (its gate decides whether the model or a baseline would answer). */
  readonly failure: Pick<
    FailureBacktest,
    | 'roc_auc'
    | 'alert_thresholds'
    | 'work_order_thresholds'
    | 'gate'
    | 'folds_used'
    | 'false_alarms_per_equipment_month'
  >;
}

export async function backtestAlerts(
  store: Store,
  scope: ModelScope,
  range: TimeRange,
  o: AlertBacktestOptions,
): Promise<AlertBacktest> {
  o.onProgress?.(0, (o.folds ?? 3) + 1, 'reading the history and computing features');
  const features = o.features ?? (await computeStoreFeatures(store, scope, range));
  const scores: TestScores = new Map();
  const b = await backtestFailure(store, scope, range, {
    horizonHours: o.horizonHours,
    folds: o.folds,
    alertBudget: o.alertBudget,
    contextZ: o.contextZ,
    crossFit: o.crossFit,
    features,
    onProgress: o.onProgress,
    workOrderBudget: o.workOrderBudget,
    onTestScore: (ts, equipment, p, threshold, workOrderAt) => {
      const list = scores.get(equipment) ?? [];
      list.push({ ts, p, threshold, workOrderAt });
      scores.set(equipment, list);
    },
  });
  // Live, a model that does not pass its gate is not served: a baseline answers, and opens no work order.
  const maintenance = maintenanceSeen(evidenceOf(features, scope.featureSet, range.to));
  const replay = replayAlerts(scores, features.failures, { ...o, maintenance }, b.gate.passed);
  return {
    horizon_h: o.horizonHours,
    ...replay,
    failure: {
      roc_auc: b.roc_auc,
      alert_thresholds: b.alert_thresholds,
      work_order_thresholds: b.work_order_thresholds,
      gate: b.gate,
      folds_used: b.folds_used,
      false_alarms_per_equipment_month: b.false_alarms_per_equipment_month,
    },
  };
}
