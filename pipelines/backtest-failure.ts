/**
 * Walk-forward backtest of "failure within H hours" on stored history, through the harness: each
 * fold fits the failure kind on what is known before its cut (forest on the fitting rows, isotonic
 * calibration and the alert threshold on the purged calibration slice after them) and is tested
 * on the next period's instants whose outcome is known by the end of observation, the unknown
 * ones dropped whatever they will be. Pooled over the test periods and set beside the references
 * (one-sensor rule, persistence, climatology), then judged by the promotion gate.
 */
import { failureWithin } from '../features/index.ts';
import { brier, expectedCalibrationError, prAuc, reliability, rocAuc } from '../models/index.ts';
import type { ForestOptions } from '../models/index.ts';
import type { Store } from '../src/store/index.ts';
import type { TimeRange } from './data.ts';
import { computeStoreFeatures, evidenceOf } from './features.ts';
import type { FeatureRun } from './features.ts';
import {
  failureRiskSeries,
  failureScores,
  fitFailure,
  NotEnoughHistory,
  persistenceScores,
} from './failure-kind.ts';
import { DEFAULT_ALERT_BUDGET, DEFAULT_ALERT_POLICY, UNCHOSEN_ALERT_AT } from './alert-policy.ts';
import { replayConditions } from './alert-replay.ts';
import type { LeadTimes } from './alert-replay.ts';
import { failureGate } from './gate.ts';
import type { Gate } from './gate.ts';
import { maintenanceSeen, testRows, walkForwardFolds, withoutEquipment } from './harness.ts';
import type { ModelScope } from './scopes.ts';

export interface FailureBacktestOptions {
  readonly horizonHours: number;
  readonly folds?: number;
  readonly everySeconds?: number;
  /** Alert at this calibrated probability; default: each fold's threshold for the alert budget. */
  readonly threshold?: number;
  /** False alarms per equipment-month the alert threshold is chosen for (default 2). */
  readonly alertBudget?: number;
  /** One failure mode, or any. */
  readonly mode?: string;
  readonly forest?: Partial<ForestOptions>;
  /** false: the forests read the feature set alone, without context z columns (default true). */
  readonly contextZ?: boolean;
  /** Blocks of the cross-fitted calibration and threshold (default CROSS_FIT_BLOCKS); 0: the latest quarter calibrates. */
  readonly crossFit?: number;
  /** Features already computed over `range` (at everySeconds). */
  readonly features?: FeatureRun;
  /** Equipment kept out of training and calibration and tested alone (the model never saw them). */
  readonly holdOutEquipment?: readonly string[];
  /** Progress of a long run: `done` of `total` steps (features, then each fold), and what is next. */
  readonly onProgress?: (done: number, total: number, what: string) => void;
  /**
   * Receives every out-of-sample test score (µs, equipment, calibrated probability, its fold's
   * alert threshold and work-order level).
   */
  readonly onTestScore?: (
    ts: number,
    equipment: string,
    probability: number,
    threshold: number | null,
    workOrderAt: number | null,
  ) => void;
  /** False work orders allowed per equipment-month at the work-order level (default 0.2). */
  readonly workOrderBudget?: number;
}

export interface FailureBacktest {
  readonly horizon_h: number;
  readonly mode: string;
  readonly folds: number;
  /** Folds that could be fitted and tested (a fold whose training side holds no failure is skipped). */
  readonly folds_used: number;
  readonly test_rows: number;
  readonly positives: number;
  /**
   * Ranking: each fold's ROC-AUC on raw scores (calibration's steps would tie instants), averaged
   * weighted by test instants; the references are ranked the same way (the rule's feature may
   * differ between folds, so pooling its raw values across folds would mix scales).
   */
  readonly roc_auc: number;
  readonly pr_auc: number;
  readonly brier: number;
  /**
   * Brier score of the climatology forecast (each fold's training failure rate for every instant):
   * a calibrated model should score below it.
   */
  readonly base_rate_brier: number;
  /** 1 - brier / base_rate_brier: the share of climatology's error the model removes. */
  readonly brier_skill: number;
  /** Expected calibration error of the out-of-sample reliability table (10 bins). */
  readonly ece: number;
  /** The fixed alert threshold asked for, or null when each fold chose one for the budget. */
  readonly threshold: number | null;
  readonly alert_budget_per_equipment_month: number;
  /** Per fold, the threshold its training side chose for the budget (null: none meets it). */
  readonly alert_thresholds: (number | null)[];
  /** Per fold, the work-order level chosen for the work-order budget (null: halfway from the threshold). */
  readonly work_order_thresholds: (number | null)[];
  /** Per instant at each fold's threshold (a positive: a failure within the horizon). */
  readonly precision: number;
  readonly recall: number;
  /**
   * The next four count the alerts the alert policy raises on these probabilities at each fold's
   * threshold, judged as `pdm backtest alerts` judges them (alert-replay.ts): failures whose
   * horizon lies in the tested span, those an alert was open for within the horizon before them,
   * the lead from the later of its opening and the horizon's start, and alerts that no failure
   * followed, per equipment-month.
   */
  readonly failures_in_test: number;
  readonly failures_warned: number;
  readonly lead_time_h: LeadTimes;
  readonly false_alarms_per_equipment_month: number;
  readonly reliability: { predicted: number; observed: number; count: number }[];
  /** The ROC curve, at most ~100 points (false and true positive rates). */
  readonly roc: { fpr: number; tpr: number }[];
  /** The one-sensor rule, chosen on each fold's fitting rows (the first fold's choice named). */
  readonly baseline: {
    readonly feature: string;
    /** 1: higher values mean failure; -1: lower values do (chosen on training rows). */
    readonly direction: 1 | -1;
    readonly roc_auc: number;
    /** Brier of its calibrated probabilities (calibrated on each fold's calibration slice). */
    readonly brier: number;
  };
  /** Persistence: scored 1 while the equipment failed within the last H hours, else 0. */
  readonly persistence: {
    readonly roc_auc: number;
    readonly precision: number;
    readonly recall: number;
  };
  /** The promotion gate on these figures: what would answer, and why. */
  readonly gate: Gate;
  readonly top_features: { feature: string; importance: number }[];
  /** Equipment tested but never trained on; empty: every equipment in both. */
  readonly held_out_equipment: string[];
}

/** ROC points at up to 100 score thresholds (ties kept together), from (0,0) to (1,1). */
function rocCurve(score: readonly number[], label: readonly number[]): { fpr: number; tpr: number }[] {
  const order = score.map((_, i) => i).sort((a, b) => (score[b] as number) - (score[a] as number));
  const pos = label.filter((v) => v === 1).length;
  const neg = label.length - pos;
  if (pos === 0 || neg === 0) return [];
  const pts = [{ fpr: 0, tpr: 0 }];
  const every = Math.max(1, Math.floor(order.length / 100));
  let tp = 0;
  let fp = 0;
  let pushedAt = -Infinity;
  for (let j = 0; j < order.length; j++) {
    const i = order[j] as number;
    if (label[i] === 1) tp++;
    else fp++;
    // A point at the end of each group of tied scores, at most one per `every` rows.
    const tieNext = j + 1 < order.length && score[order[j + 1] as number] === score[i];
    if (!tieNext && (j - pushedAt >= every || j === order.length - 1)) {
      pts.push({ fpr: fp / neg, tpr: tp / pos });
      pushedAt = j;
    }
  }
  return pts;
}

export async function backtestFailure(
  store: Store,
  scope: ModelScope,
  range: TimeRange,
  options: FailureBacktestOptions,
): Promise<FailureBacktest> {
  const fs = scope.featureSet;
  const H = options.horizonHours * 3.6e9;
  const folds = options.folds ?? 3;
  const every = options.everySeconds ?? scope.everySeconds;
  const budget = options.alertBudget ?? DEFAULT_ALERT_BUDGET;
  options.onProgress?.(0, folds + 1, 'reading the history and computing features');
  const run = options.features ?? (await computeStoreFeatures(store, scope, range, every));
  const ev = evidenceOf(run, fs, range.to);
  const { ts, equipment } = ev;
  // Test labels: known by the end of observation, the rest dropped whatever they will be.
  const y = failureWithin(ts, equipment, run.failures, H, range.to, options.mode);
  const heldOut = new Set(options.holdOutEquipment ?? []);
  const unknown = [...heldOut].filter((e) => !equipment.includes(e));
  if (unknown.length > 0) throw new Error(`hold-out equipment not in the history: ${unknown.join(', ')}`);
  const trainEv = withoutEquipment(ev, heldOut);
  const plan = walkForwardFolds(ts, folds);
  const p: number[] = [];
  const raw: number[] = [];
  const ruleP: number[] = [];
  const ruleRaw: number[] = [];
  const climate: number[] = [];
  /** Each test row's alert level: its fold's threshold, or even odds where the fold chose none (as served). */
  const alertAt: number[] = [];
  const testY: number[] = [];
  const rows: number[] = [];
  const foldOf: number[] = [];
  const thresholds: (number | null)[] = [];
  const workOrderThresholds: (number | null)[] = [];
  const importance = new Float64Array(fs.columns.length);
  let rule: { feature: string; direction: 1 | -1 } | null = null;
  let used = 0;
  for (const fold of plan) {
    options.onProgress?.(1 + fold.k, folds + 1, `fold ${fold.k + 1} of ${plan.length}: fitting and testing`);
    const test = testRows(ev, fold, y).filter(
      (i) => heldOut.size === 0 || heldOut.has(equipment[i] as string),
    );
    if (test.length === 0) continue;
    let fit;
    try {
      fit = await fitFailure(trainEv, fold.cut, {
        horizonHours: options.horizonHours,
        mode: options.mode,
        trees: 100,
        seed: 11 + fold.k,
        forest: options.forest,
        alertBudget: budget,
        workOrderBudget: options.workOrderBudget,
        policyOf: scope.alertPolicyOf,
        contextZ: options.contextZ,
        crossFit: options.crossFit,
      });
    } catch (err) {
      if (err instanceof NotEnoughHistory) continue;
      throw err;
    }
    used++;
    fit.forest.importance.forEach((v, j) => (importance[j] = (importance[j] as number) + v));
    rule ??= fit.oneSensor && { feature: fit.oneSensor.feature, direction: fit.oneSensor.direction };
    const threshold = options.threshold ?? fit.alertThreshold;
    thresholds.push(threshold);
    workOrderThresholds.push(options.threshold === undefined ? fit.workOrderThreshold : null);
    const s = failureScores(fit, ev, test);
    test.forEach((i, j) => {
      p.push(s.model[j] as number);
      raw.push(s.modelRaw[j] as number);
      ruleP.push(s.oneSensor[j] as number);
      ruleRaw.push(s.oneSensorRaw[j] as number);
      climate.push(s.climatology[j] as number);
      alertAt.push(threshold ?? UNCHOSEN_ALERT_AT);
      testY.push(y[i] as number);
      rows.push(i);
      foldOf.push(fold.k);
      options.onTestScore?.(
        ts[i] as number,
        equipment[i] as string,
        s.model[j] as number,
        threshold,
        options.threshold === undefined ? fit.workOrderThreshold : null,
      );
    });
  }
  /** Per-fold ROC-AUC of a score, averaged weighted by the fold's test instants. */
  const foldAuc = (score: readonly number[]) => {
    let sum = 0;
    let n = 0;
    for (const k of new Set(foldOf)) {
      const js = foldOf.flatMap((f, j) => (f === k ? [j] : []));
      const a = rocAuc(
        js.map((j) => score[j] as number),
        js.map((j) => testY[j] as number),
      );
      if (a === a) {
        sum += a * js.length;
        n += js.length;
      }
    }
    return n > 0 ? sum / n : NaN;
  };
  // Warned failures, lead times and false alarms: the alerts the policy would have raised on these
  // probabilities at each fold's threshold (alert-replay.ts), so the budget a threshold was chosen
  // for on its calibration slice is judged here the way it was counted there.
  const policyOf = scope.alertPolicyOf ?? (() => DEFAULT_ALERT_POLICY);
  const series = failureRiskSeries(ev, rows, p, (j) => alertAt[j] as number, policyOf, options.horizonHours);
  const replay = replayConditions(
    series,
    run.failures.filter(
      (e) =>
        (options.mode === undefined || e.mode === options.mode) &&
        (heldOut.size === 0 || heldOut.has(e.equipment)),
    ),
    { horizonHours: options.horizonHours, policyOf, lineOf: () => '', maintenance: maintenanceSeen(ev) },
  );
  let tp = 0;
  let fp = 0;
  let fn = 0;
  p.forEach((v, j) => {
    const a = v >= (alertAt[j] as number);
    const pos = testY[j] === 1;
    if (a && pos) tp++;
    else if (a) fp++;
    else if (pos) fn++;
  });
  const persistence = persistenceScores(ev, rows, H, options.mode);
  let ptp = 0;
  let pfp = 0;
  persistence.forEach((v, j) => {
    if (v === 1 && testY[j] === 1) ptp++;
    else if (v === 1) pfp++;
  });
  const positivesInTest = testY.filter((v) => v === 1).length;
  const total = importance.reduce((s, v) => s + v, 0) || 1;
  const round = (v: number, d = 4) => Math.round(v * 10 ** d) / 10 ** d;
  const modelBrier = p.length ? brier(p, testY) : NaN;
  const climBrier = p.length ? brier(climate, testY) : NaN;
  const figures = {
    horizon_h: options.horizonHours,
    mode: options.mode ?? 'any',
    folds,
    folds_used: used,
    test_rows: testY.length,
    positives: positivesInTest,
    roc_auc: round(foldAuc(raw)),
    pr_auc: round(prAuc(p, testY)),
    brier: round(modelBrier),
    base_rate_brier: round(climBrier),
    brier_skill: round(1 - modelBrier / climBrier),
    ece: round(expectedCalibrationError(p, testY)),
    threshold: options.threshold ?? null,
    alert_budget_per_equipment_month: budget,
    alert_thresholds: thresholds.map((t) => (t === null ? null : round(t))),
    work_order_thresholds: workOrderThresholds.map((t) => (t === null ? null : round(t))),
    precision: round(tp + fp > 0 ? tp / (tp + fp) : NaN),
    recall: round(tp + fn > 0 ? tp / (tp + fn) : NaN),
    failures_in_test: replay.policy.failures,
    failures_warned: replay.policy.failures_warned,
    lead_time_h: replay.policy.lead_time_h,
    false_alarms_per_equipment_month: round(
      replay.equipment_months > 0 ? replay.policy.false_alerts / replay.equipment_months : NaN,
      3,
    ),
    roc: rocCurve(raw, testY).map((r) => ({ fpr: round(r.fpr), tpr: round(r.tpr) })),
    reliability: reliability(p, testY).map((r) => ({
      predicted: round(r.predicted),
      observed: round(r.observed),
      count: r.count,
    })),
    baseline: {
      feature: rule?.feature ?? 'none',
      direction: rule?.direction ?? 1,
      roc_auc: round(rule === null ? NaN : foldAuc(ruleRaw)),
      brier: round(ruleP.length ? brier(ruleP, testY) : NaN),
    },
    persistence: {
      roc_auc: round(foldAuc(persistence)),
      precision: round(ptp + pfp > 0 ? ptp / (ptp + pfp) : NaN),
      recall: round(positivesInTest > 0 ? ptp / positivesInTest : NaN),
    },
    top_features: Array.from(importance, (v, j) => ({
      feature: fs.columns[j] as string,
      importance: round(v / total),
    }))
      .sort((a, b) => b.importance - a.importance)
      .slice(0, 10),
    held_out_equipment: [...heldOut],
  } satisfies Omit<FailureBacktest, 'gate'>;
  return { ...figures, gate: failureGate(figures) };
}
