/**
 * Walk-forward backtest of "failure within H hours" on stored history: train on the past, test on
 * the next period, repeat; never a random split. In each fold the forest trains on instants whose
 * label was known before the test period began (t + H <= cut), the earliest 75 % of them; an
 * isotonic calibration is fitted on the latest 25 %; the test period follows. Metrics are pooled
 * over the test periods and set beside two baselines: a threshold rule on the one feature that
 * ranked failures best on the first fold's training rows (direction chosen there too, never on the
 * test rows), and persistence (alert while the equipment failed within the last H hours: what was
 * true one horizon ago stays true).
 */
import { failureWithin } from '../features/index.ts';
import type { FeatureSet } from '../features/index.ts';
import {
  brier,
  calibrate,
  compileForest,
  fitIsotonic,
  prAuc,
  predictColumns,
  reliability,
  rocAuc,
  trainForestParallel,
} from '../models/index.ts';
import type { ForestOptions } from '../models/index.ts';
import type { Store } from '../src/store/index.ts';
import type { TimeRange } from './data.ts';
import { computeStoreFeatures, featureMatrix } from './features.ts';
import { FAILURE_FOREST } from './train.ts';
import type { FeatureRun } from './features.ts';

export interface FailureBacktestOptions {
  readonly horizonHours: number;
  readonly folds?: number;
  readonly everySeconds?: number;
  /** Alert when the calibrated probability reaches this. */
  readonly threshold?: number;
  /** One failure mode, or any. */
  readonly mode?: string;
  readonly forest?: Partial<ForestOptions>;
  /** Features already computed over `range` (at everySeconds). */
  readonly features?: FeatureRun;
  /** Equipment kept out of training and calibration and tested alone (the model never saw them). */
  readonly holdOutEquipment?: readonly string[];
}

export interface FailureBacktest {
  readonly horizon_h: number;
  readonly mode: string;
  readonly folds: number;
  readonly test_rows: number;
  readonly positives: number;
  readonly roc_auc: number;
  readonly pr_auc: number;
  readonly brier: number;
  /**
   * Brier score of the climatology forecast (each fold's training failure rate for every instant):
   * a calibrated model should score below it; 1 - brier / base_rate_brier is its skill.
   */
  readonly base_rate_brier: number;
  readonly threshold: number;
  readonly precision: number;
  readonly recall: number;
  readonly failures_in_test: number;
  readonly failures_warned: number;
  /** Hours between the first alert within the horizon and the failure, per warned failure. */
  readonly lead_time_h: {
    readonly median: number;
    readonly p10: number;
    readonly p90: number;
    readonly values: number[];
  };
  readonly false_alarms_per_equipment_month: number;
  readonly reliability: { predicted: number; observed: number; count: number }[];
  /** The ROC curve, at most ~100 points (false and true positive rates). */
  readonly roc: { fpr: number; tpr: number }[];
  readonly baseline: {
    readonly feature: string;
    /** 1: higher values mean failure; -1: lower values do (chosen on training rows). */
    readonly direction: 1 | -1;
    readonly roc_auc: number;
  };
  /** Persistence: scored 1 while the equipment failed within the last H hours, else 0. */
  readonly persistence: {
    readonly roc_auc: number;
    readonly precision: number;
    readonly recall: number;
  };
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

/** 1 when `equipment` failed (in `mode`, or any) in (from, to], else 0. */
function failedWithin(
  failures: readonly { equipment: string; ts: number; mode: string }[],
  equipment: string,
  from: number,
  to: number,
  mode: string | undefined,
): number {
  for (const e of failures)
    if (e.equipment === equipment && e.ts > from && e.ts <= to && (mode === undefined || e.mode === mode))
      return 1;
  return 0;
}

function quantile(sorted: number[], q: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] as number;
}

export async function backtestFailure(
  store: Store,
  fs: FeatureSet,
  range: TimeRange,
  options: FailureBacktestOptions,
): Promise<FailureBacktest> {
  const H = options.horizonHours * 3.6e9;
  const folds = options.folds ?? 3;
  const every = options.everySeconds ?? 600;
  const threshold = options.threshold ?? 0.5;
  const run = options.features ?? (await computeStoreFeatures(store, fs, range, every));
  const f = run.features;
  const { ts, equipment, columns: X } = featureMatrix(f, fs);
  const observedUntil = range.to;
  const y = failureWithin(ts, equipment, run.failures, H, observedUntil, options.mode);
  let t0 = Infinity;
  let t1 = -Infinity;
  for (const t of ts) {
    t0 = Math.min(t0, t);
    t1 = Math.max(t1, t);
  }
  const cuts = Array.from({ length: folds + 1 }, (_, k) => t0 + (0.5 + (0.5 * k) / folds) * (t1 - t0));
  const pick = (rows: number[]) => X.map((col) => Float64Array.from(rows, (r) => col[r] as number));
  const heldOut = new Set(options.holdOutEquipment ?? []);
  const unknown = [...heldOut].filter((e) => !equipment.includes(e));
  if (unknown.length > 0) throw new Error(`hold-out equipment not in the history: ${unknown.join(', ')}`);
  const trainable = (i: number) => !heldOut.has(equipment[i] as string);
  const testable = (i: number) => heldOut.size === 0 || heldOut.has(equipment[i] as string);
  const testP: number[] = [];
  /** Per test row, the failure rate of its fold's training and calibration rows: the climatology forecast. */
  const baseRate: number[] = [];
  const testY: number[] = [];
  const testRows: number[] = [];
  const importance = new Float64Array(fs.columns.length);
  let baselineFeature = -1;
  let baselineDirection: 1 | -1 = 1;
  for (let k = 0; k < folds; k++) {
    const cut = cuts[k] as number;
    const next = cuts[k + 1] as number;
    const known = Array.from({ length: ts.length }, (_, i) => i).filter(
      (i) => y[i] === y[i] && (ts[i] as number) + H <= cut && trainable(i),
    );
    known.sort((a, b) => (ts[a] as number) - (ts[b] as number));
    const split = Math.floor(known.length * 0.75);
    const fit = known.slice(0, split);
    const cal = known.slice(split);
    const test = Array.from({ length: ts.length }, (_, i) => i).filter(
      (i) =>
        y[i] === y[i] &&
        testable(i) &&
        (ts[i] as number) >= cut &&
        (ts[i] as number) < (k === folds - 1 ? next + 1 : next),
    );
    const yFit = Float64Array.from(fit, (i) => y[i] as number);
    if (fit.length === 0 || test.length === 0 || !yFit.some((v) => v === 1) || !yFit.some((v) => v === 0))
      continue;
    const forest = await trainForestParallel(pick(fit), yFit, {
      ...FAILURE_FOREST,
      trees: 100,
      seed: 11 + k,
      ...options.forest,
    });
    forest.importance.forEach((v, j) => (importance[j] = (importance[j] as number) + v));
    const compiled = compileForest(forest);
    const calibrator = fitIsotonic(
      predictColumns(compiled, pick(cal)),
      Float64Array.from(cal, (i) => y[i] as number),
    );
    const raw = predictColumns(compiled, pick(test));
    const rate = known.reduce((n, i) => n + (y[i] as number), 0) / known.length;
    test.forEach((i, j) => {
      baseRate.push(rate);
      testP.push(calibrate(calibrator, raw[j] as number));
      testY.push(y[i] as number);
      testRows.push(i);
    });
    if (baselineFeature < 0) {
      // Baseline: the single feature that ranked failures best on this fold's training rows.
      let best = 0.5;
      X.forEach((col, j) => {
        const a = rocAuc(
          Float64Array.from(fit, (i) =>
            (col[i] as number) === (col[i] as number) ? (col[i] as number) : -Infinity,
          ),
          yFit,
        );
        const score = Math.max(a, 1 - a);
        if (score > best) {
          best = score;
          baselineFeature = j;
          baselineDirection = a >= 0.5 ? 1 : -1;
        }
      });
    }
  }
  // Lead time and false alarms from the alerts in the test periods.
  const alerts = testRows.filter((_, j) => (testP[j] as number) >= threshold);
  const testStart = cuts[0] as number;
  const failures = run.failures.filter(
    (e) =>
      e.ts >= testStart &&
      e.ts <= t1 &&
      (options.mode === undefined || e.mode === options.mode) &&
      (heldOut.size === 0 || heldOut.has(e.equipment)),
  );
  const leads: number[] = [];
  for (const e of failures) {
    let first = Infinity;
    for (const i of alerts)
      if (equipment[i] === e.equipment && (ts[i] as number) < e.ts && (ts[i] as number) >= e.ts - H)
        first = Math.min(first, ts[i] as number);
    if (first < Infinity) leads.push((e.ts - first) / 3.6e9);
  }
  leads.sort((a, b) => a - b);
  // False alarms: episodes of consecutive alerts on an equipment with no failure within H.
  let episodes = 0;
  const byEq = new Map<string, number[]>();
  for (const i of alerts)
    if (y[i] === 0)
      byEq.set(equipment[i] as string, [...(byEq.get(equipment[i] as string) ?? []), ts[i] as number]);
  for (const times of byEq.values()) {
    times.sort((a, b) => a - b);
    times.forEach((t, j) => {
      if (j === 0 || t - (times[j - 1] as number) > 1.5 * every * 1e6) episodes++;
    });
  }
  const months = ((heldOut.size || new Set(equipment).size) * (t1 - testStart)) / (30 * 86400e6);
  let tp = 0;
  let fp = 0;
  let fn = 0;
  testP.forEach((p, j) => {
    const pos = testY[j] === 1;
    if (p >= threshold && pos) tp++;
    else if (p >= threshold) fp++;
    else if (pos) fn++;
  });
  const baselineScores =
    baselineFeature < 0
      ? []
      : testRows
          .map((i) => (X[baselineFeature] as Float64Array)[i] as number)
          .map((v) => (v === v ? baselineDirection * v : -Infinity));
  const baselineAuc = baselineFeature < 0 ? NaN : rocAuc(baselineScores, testY);
  const persistence = testRows.map((i) =>
    failedWithin(run.failures, equipment[i] as string, (ts[i] as number) - H, ts[i] as number, options.mode),
  );
  let ptp = 0;
  let pfp = 0;
  persistence.forEach((p, j) => {
    if (p === 1 && testY[j] === 1) ptp++;
    else if (p === 1) pfp++;
  });
  const positivesInTest = testY.filter((v) => v === 1).length;
  const total = importance.reduce((s, v) => s + v, 0) || 1;
  const round = (v: number, d = 4) => Math.round(v * 10 ** d) / 10 ** d;
  return {
    horizon_h: options.horizonHours,
    mode: options.mode ?? 'any',
    folds,
    test_rows: testY.length,
    positives: positivesInTest,
    roc_auc: round(rocAuc(testP, testY)),
    pr_auc: round(prAuc(testP, testY)),
    brier: round(brier(testP, testY)),
    base_rate_brier: round(brier(baseRate, testY)),
    threshold,
    precision: round(tp + fp > 0 ? tp / (tp + fp) : NaN),
    recall: round(tp + fn > 0 ? tp / (tp + fn) : NaN),
    failures_in_test: failures.length,
    failures_warned: leads.length,
    lead_time_h: {
      median: round(quantile(leads, 0.5), 2),
      p10: round(quantile(leads, 0.1), 2),
      p90: round(quantile(leads, 0.9), 2),
      values: leads.map((v) => round(v, 2)),
    },
    false_alarms_per_equipment_month: round(months > 0 ? episodes / months : NaN, 3),
    roc: rocCurve(testP, testY).map((p) => ({ fpr: round(p.fpr), tpr: round(p.tpr) })),
    reliability: reliability(testP, testY).map((r) => ({
      predicted: round(r.predicted),
      observed: round(r.observed),
      count: r.count,
    })),
    baseline: {
      feature: baselineFeature < 0 ? 'none' : (fs.columns[baselineFeature] as string),
      direction: baselineDirection,
      roc_auc: round(baselineAuc),
    },
    persistence: {
      roc_auc: round(rocAuc(persistence, testY)),
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
  };
}
