/**
 * Evaluation of the anomaly model with no failure label used in training.
 *
 * Stored history (the simulator): walk-forward folds through the harness; each fold learns
 * "normal" from everything before its cut with every failure hidden (only the maintenance log
 * keeps maintenance periods out), chooses its alarm level on its own purged reference slice, and
 * is tested on the next period against the truth, as the plant would see it: the health index of
 * each test instant goes through the alert policy's `anomaly` cause (hysteresis, hold, clear time;
 * a maintenance or a repair resolves what is open), the same AlertTracker the live engine runs,
 * and the alerts are judged as `pdm backtest alerts` judges them: lead time before each failure,
 * false alerts per equipment-month (no failure while open or within the horizon after opening).
 * Beside it, the raw threshold: every run of instants at or below the alarm level, no controls.
 * And ROC-AUC of 1 - health for "failure within H".
 *
 * C-MAPSS FD001: the model learns each training unit's first 30 % of cycles as normal and reads
 * the health index over every unit's whole life: Spearman correlation of 1 - health with the cycle
 * (how monotone the degradation it shows is) and of health with the true RUL.
 */
import { computeFeatures, defineFeatureSet, failureWithin } from '../features/index.ts';
import type { FeatureSet } from '../features/index.ts';
import { AnomalyScorer, fitAnomaly } from '../models/anomaly.ts';
import { rocAuc } from '../models/index.ts';
import type { Store } from '../src/store/index.ts';
import {
  anomalyConditions,
  anomalyContext,
  anomalyFeatures,
  fitAnomalyKind,
  healthAt,
} from './anomaly-kind.ts';
import type { AnomalyKindOptions } from './anomaly-kind.ts';
import { CMAPSS_INFORMATIVE, cmapssTable, readCmapss } from './cmapss.ts';
import type { TimeRange } from './data.ts';
import { DEFAULT_ALERT_POLICY, DEFAULT_ANOMALY_ALARM_BUDGET } from './alert-policy.ts';
import { quantile, replayConditions } from './alert-replay.ts';
import type { LeadTimes } from './alert-replay.ts';
import { computeStoreFeatures, evidenceOf, featureMatrix } from './features.ts';
import type { FeatureRun } from './features.ts';
import { maintenanceSeen, testRows, walkForwardFolds } from './harness.ts';
import type { Evidence } from './harness.ts';
import type { ModelScope } from './scopes.ts';

export interface AnomalyBacktestOptions extends AnomalyKindOptions {
  readonly horizonHours?: number;
  /** Spacing of the instants (s) features are computed at from the store (the scope's by default). */
  readonly everySeconds?: number;
  readonly lineOf?: (equipment: string) => string;
  /** The plant's time zone (quiet hours are local). */
  readonly timeZone?: string;
  readonly folds?: number;
  readonly features?: FeatureRun;
  readonly onProgress?: (done: number, total: number, what: string) => void;
}

export interface AnomalyBacktest {
  readonly horizon_h: number;
  readonly folds: number;
  readonly folds_used: number;
  /** Always true here: every failure was hidden from the model while it learnt. */
  readonly failure_labels_used_in_training: false;
  readonly test_rows: number;
  readonly equipment_months: number;
  readonly roc_auc: number;
  readonly alarm_budget_per_equipment_month: number;
  /** Per fold, the health level its reference slice chose. */
  readonly alarm_health: number[];
  readonly failures_in_test: number;
  /** Failures with an anomaly alert open in the horizon before them (the policy replayed). */
  readonly failures_warned: number;
  readonly lead_time_h: LeadTimes;
  /** Anomaly alerts the policy raised that no failure followed (while open or within the horizon). */
  readonly false_alarms: number;
  readonly false_alarms_per_equipment_month: number;
  /** Every anomaly alert the policy raised, per equipment-month. */
  readonly alarms_per_equipment_month: number;
  /** The same health index with no fatigue control: every run of instants at or below the level. */
  readonly raw_threshold: {
    readonly failures_warned: number;
    readonly lead_time_h: LeadTimes;
    readonly false_alarms: number;
    readonly false_alarms_per_equipment_month: number;
  };
  /** The features that most often led the drivers at alarms before failures. */
  readonly top_drivers: { feature: string; share: number }[];
}

const round = (v: number, d = 4) => Math.round(v * 10 ** d) / 10 ** d;

/** The backtest on evidence (features already computed), failures in it used only to test. */
export function backtestAnomalyEvidence(ev: Evidence, o: AnomalyBacktestOptions = {}): AnomalyBacktest {
  const hours = o.horizonHours ?? 24;
  const H = hours * 3.6e9;
  const folds = o.folds ?? 3;
  const budget = o.alarmBudget ?? DEFAULT_ANOMALY_ALARM_BUDGET;
  const y = failureWithin(ev.ts, ev.equipment, ev.failures, H, ev.observedUntil);
  const plan = walkForwardFolds(ev.ts, folds);
  const rows: number[] = [];
  const health: number[] = [];
  const alarmed: boolean[] = [];
  const levelOf: number[] = [];
  const levels: number[] = [];
  const driverAt = new Map<number, string>();
  const foldOf: number[] = [];
  // The model learns with no failure at all: hidden, not merely ignored after the cut.
  const blind: Evidence = { ...ev, failures: [] };
  for (const fold of plan) {
    o.onProgress?.(fold.k, folds, `fold ${fold.k + 1} of ${folds}: learning normal, testing`);
    const test = testRows(ev, fold, y);
    if (test.length === 0) continue;
    const fit = fitAnomalyKind(blind, fold.cut, { ...o, useFailures: false });
    levels.push(round(fit.alarmHealth));
    const scorer = new AnomalyScorer(fit.model);
    const h = scorer.scoreColumns(ev, test).map((x) => x.health);
    const x = fit.model.features.map((f) => ev.columns[ev.names.indexOf(f)] as Float64Array);
    const ctx = (name: string | null) =>
      name === null ? null : (ev.columns[ev.names.indexOf(name)] as Float64Array);
    const [load, product, group] = [ctx(fit.model.load), ctx(fit.model.product), ctx(fit.model.group)];
    test.forEach((i, j) => {
      const hv = h[j] as number;
      const alarm = hv === hv && hv <= fit.alarmHealth;
      rows.push(i);
      health.push(hv === hv ? hv : 1);
      alarmed.push(alarm);
      levelOf.push(fit.alarmHealth);
      foldOf.push(fold.k);
      if (alarm && y[i] === 1) {
        const top = scorer.drivers(
          x.map((c) => c[i] as number),
          load ? (load[i] as number) : NaN,
          product ? (product[i] as number) : NaN,
          group ? (group[i] as number) : NaN,
          1,
        )[0];
        if (top) driverAt.set(i, top.feature);
      }
    });
  }
  o.onProgress?.(folds, folds, 'done');
  const testY = rows.map((i) => y[i] as number);
  let aucSum = 0;
  let aucN = 0;
  for (const k of new Set(foldOf)) {
    const js = foldOf.flatMap((f, j) => (f === k ? [j] : []));
    const a = rocAuc(
      js.map((j) => 1 - (health[j] as number)),
      js.map((j) => testY[j] as number),
    );
    if (a === a) {
      aucSum += a * js.length;
      aucN += js.length;
    }
  }
  // The health index through the anomaly cause of the alert policy, as the live engine raises it.
  const policyOf = o.policyOf ?? (() => DEFAULT_ALERT_POLICY);
  const series = anomalyConditions(ev, rows, health, (j) => levelOf[j] as number, policyOf);
  const replay = replayConditions(series, ev.failures, {
    horizonHours: hours,
    policyOf,
    lineOf: o.lineOf ?? (() => ''),
    timeZone: o.timeZone,
    maintenance: maintenanceSeen(ev),
  });
  const months = replay.equipment_months;
  const drivers = new Map<string, number>();
  for (const f of driverAt.values()) drivers.set(f, (drivers.get(f) ?? 0) + 1);
  return {
    horizon_h: hours,
    folds,
    folds_used: levels.length,
    failure_labels_used_in_training: false,
    test_rows: rows.length,
    equipment_months: round(months, 2),
    roc_auc: round(aucN > 0 ? aucSum / aucN : NaN),
    alarm_budget_per_equipment_month: budget,
    alarm_health: levels,
    failures_in_test: replay.policy.failures,
    failures_warned: replay.policy.failures_warned,
    lead_time_h: replay.policy.lead_time_h,
    false_alarms: replay.policy.false_alerts,
    false_alarms_per_equipment_month: round(months > 0 ? replay.policy.false_alerts / months : NaN, 3),
    alarms_per_equipment_month: round(months > 0 ? replay.policy.alerts / months : NaN, 3),
    raw_threshold: {
      failures_warned: replay.raw_threshold.failures_warned,
      lead_time_h: replay.raw_threshold.lead_time_h,
      false_alarms: replay.raw_threshold.false_alerts,
      false_alarms_per_equipment_month: round(
        months > 0 ? replay.raw_threshold.false_alerts / months : NaN,
        3,
      ),
    },
    top_drivers: [...drivers]
      .sort((a, b) => b[1] - a[1])
      .slice(0, 5)
      .map(([feature, n]) => ({ feature, share: round(n / driverAt.size, 3) })),
  };
}

/** The backtest over a scope's stored history. */
export async function backtestAnomaly(
  store: Store,
  scope: ModelScope,
  range: TimeRange,
  o: AnomalyBacktestOptions = {},
): Promise<AnomalyBacktest> {
  const every = o.everySeconds ?? scope.everySeconds;
  const folds = o.folds ?? 3;
  o.onProgress?.(0, folds + 1, 'reading the history and computing features');
  const run = o.features ?? (await computeStoreFeatures(store, scope, range, every));
  const ev = evidenceOf(run, scope.featureSet, range.to);
  return backtestAnomalyEvidence(ev, {
    policyOf: scope.alertPolicyOf,
    ...o,
    everySeconds: every,
    onProgress: (d, t, what) => o.onProgress?.(d + 1, t + 1, what),
  });
}

/** The anomaly model's C-MAPSS features: each informative sensor's level over 10 and 30 cycles. */
export const CMAPSS_ANOMALY_FEATURES: FeatureSet = defineFeatureSet({
  name: 'cmapss-anomaly-v1',
  sensors: CMAPSS_INFORMATIVE,
  windows: [
    { kind: 'count', rows: 10 },
    { kind: 'count', rows: 30 },
  ],
  stats: ['mean'],
});

/** Spearman rank correlation (average ranks for ties); NaN with fewer than 3 pairs. */
export function spearman(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const n = a.length;
  if (n < 3) return NaN;
  const rank = (v: ArrayLike<number>) => {
    const order = Array.from({ length: n }, (_, i) => i).sort((i, j) => (v[i] as number) - (v[j] as number));
    const r = new Float64Array(n);
    for (let k = 0; k < n;) {
      let e = k;
      while (e + 1 < n && v[order[e + 1] as number] === v[order[k] as number]) e++;
      for (let m = k; m <= e; m++) r[order[m] as number] = (k + e) / 2;
      k = e + 1;
    }
    return r;
  };
  const ra = rank(a);
  const rb = rank(b);
  const mean = (n - 1) / 2;
  let sab = 0;
  let saa = 0;
  let sbb = 0;
  for (let i = 0; i < n; i++) {
    const da = (ra[i] as number) - mean;
    const db = (rb[i] as number) - mean;
    sab += da * db;
    saa += da * da;
    sbb += db * db;
  }
  return saa > 0 && sbb > 0 ? sab / Math.sqrt(saa * sbb) : NaN;
}

export interface CmapssAnomaly {
  readonly units: number;
  readonly normal_share: number;
  readonly fit_rows: number;
  /** Per unit Spearman of (1 - health) with the cycle, over its whole life: 1 = strictly degrading. */
  readonly spearman_cycle: { readonly median: number; readonly p10: number; readonly p90: number };
  /** Pearson correlation of health with the true RUL (cycles to failure), pooled over all rows. */
  readonly pearson_rul: number;
  /** Pearson correlation of health with the true RUL capped at 125, pooled over all rows. */
  readonly pearson_capped_rul: number;
  /** Mean health in each tenth of life, pooled (0 = first 10 % of cycles). */
  readonly health_by_life_decile: number[];
}

function pearson(a: readonly number[], b: readonly number[]): number {
  const n = a.length;
  const ma = a.reduce((s, v) => s + v, 0) / n;
  const mb = b.reduce((s, v) => s + v, 0) / n;
  let sab = 0;
  let saa = 0;
  let sbb = 0;
  for (let i = 0; i < n; i++) {
    sab += ((a[i] as number) - ma) * ((b[i] as number) - mb);
    saa += ((a[i] as number) - ma) ** 2;
    sbb += ((b[i] as number) - mb) ** 2;
  }
  return sab / Math.sqrt(saa * sbb);
}

/**
 * FD001's training units are run to failure: learn each one's first `normalShare` of cycles as
 * normal (its purged last quarter as the reference), then read the health index over every
 * cycle of every unit.
 */
export function anomalyCmapss(trainFile: string, normalShare = 0.3): CmapssAnomaly {
  const data = readCmapss(trainFile);
  const fs = CMAPSS_ANOMALY_FEATURES;
  const features = computeFeatures(cmapssTable(data, fs.sensors), fs);
  const m = featureMatrix(features, fs);
  const ev: Evidence = { ...m, names: fs.columns, failures: [], observedUntil: Infinity };
  const last = new Map<string, number>();
  m.ts.forEach((t, i) =>
    last.set(m.equipment[i] as string, Math.max(last.get(m.equipment[i] as string) ?? 0, t)),
  );
  // "Normal": the first share of each unit's life; the fit takes its first three quarters, the
  // reference the last (count windows of 30 cycles overlap the two: no purge fits in 60 cycles).
  const lifeShare = (i: number) => (m.ts[i] as number) / (last.get(m.equipment[i] as string) as number);
  const fitRows = Array.from(m.ts.keys()).filter((i) => lifeShare(i) <= normalShare * 0.75);
  const refRows = Array.from(m.ts.keys()).filter(
    (i) => lifeShare(i) > normalShare * 0.75 && lifeShare(i) <= normalShare,
  );
  const model = fitAnomaly(ev, anomalyFeatures(fs.columns), anomalyContext(fs.columns), fitRows, refRows);
  const fit = { model, fitRows: fitRows.length };
  const all = Array.from(m.ts.keys());
  const health = healthAt(fit.model, ev, all);
  const byUnit = new Map<string, number[]>();
  all.forEach((i) => {
    const list = byUnit.get(m.equipment[i] as string);
    if (list) list.push(i);
    else byUnit.set(m.equipment[i] as string, [i]);
  });
  const sc: number[] = [];
  const rulAll: number[] = [];
  const hs: number[] = [];
  const capped: number[] = [];
  const deciles = new Float64Array(10);
  const counts = new Float64Array(10);
  for (const [u, idx] of byUnit) {
    const end = last.get(u) as number;
    const cyc = idx.map((i) => (m.ts[i] as number) / 1e6);
    const h = idx.map((i) => health[i] as number);
    const rul = cyc.map((c) => end / 1e6 - c);
    sc.push(
      spearman(
        cyc,
        h.map((v) => 1 - v),
      ),
    );
    idx.forEach((i, k) => {
      hs.push(h[k] as number);
      rulAll.push(rul[k] as number);
      capped.push(Math.min(125, rul[k] as number));
      const d = Math.min(9, Math.floor(((cyc[k] as number) / (end / 1e6)) * 10));
      deciles[d] = (deciles[d] as number) + (h[k] as number);
      counts[d] = (counts[d] as number) + 1;
    });
  }
  const summary = (v: number[]) => {
    const s = v.filter((x) => x === x).sort((a, b) => a - b);
    return {
      median: round(quantile(s, 0.5), 3),
      p10: round(quantile(s, 0.1), 3),
      p90: round(quantile(s, 0.9), 3),
    };
  };
  return {
    units: byUnit.size,
    normal_share: normalShare,
    fit_rows: fit.fitRows,
    spearman_cycle: summary(sc),
    pearson_rul: round(pearson(hs, rulAll), 3),
    pearson_capped_rul: round(pearson(hs, capped), 3),
    health_by_life_decile: Array.from(deciles, (s, d) => round(s / Math.max(1, counts[d] as number), 3)),
  };
}
