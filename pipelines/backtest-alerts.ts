/**
 * The alert policy replayed over history: the walk-forward failure backtest's out-of-sample
 * probabilities (each fold's model and alert threshold fitted before its cut) are fed, instant by
 * instant and equipment by equipment, through the same AlertTracker the live engine runs, and set
 * beside the raw threshold (every upward crossing of the threshold opens a work order, as naive
 * auto-generation does). Both are judged against the failures that followed:
 * - an alert is true when a failure of its equipment follows while it is open or within the
 *   horizon after it opened; false otherwise;
 * - a failure is warned when an alert was open at some instant of the horizon before it; its lead
 *   time runs from the later of that alert's opening and the start of the horizon (capped at the
 *   horizon, as `pdm backtest failure` counts it);
 * - a failure, being repaired, resolves what was open on its equipment.
 * Only the failure-risk cause is replayed (the history holds no past MES plans or quality forecasts).
 */
import type { FailureEvent } from '../features/index.ts';
import type { Store } from '../src/store/index.ts';
import { AlertTracker, failureRiskCondition, UNCHOSEN_ALERT_AT } from './alert-policy.ts';
import type { AlertPolicy, AlertTier } from './alert-policy.ts';
import { backtestFailure } from './backtest-failure.ts';
import type { FailureBacktest } from './backtest-failure.ts';
import type { TimeRange } from './data.ts';
import { computeStoreFeatures } from './features.ts';
import type { FeatureRun } from './features.ts';
import type { ModelScope } from './scopes.ts';

export interface AlertBacktestOptions {
  readonly horizonHours: number;
  readonly folds?: number;
  /** False alarms per equipment-month each fold's alert threshold is chosen for (default 1). */
  readonly alertBudget?: number;
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

export interface AlertFigures {
  readonly alerts: number;
  readonly alerts_per_equipment_month: number;
  readonly false_alerts: number;
  readonly work_orders: number;
  readonly false_work_orders: number;
  readonly false_work_orders_per_equipment_month: number;
  /** Messages people receive (grouping and quiet hours hold some back). */
  readonly notifications: number;
  readonly failures: number;
  readonly failures_warned: number;
  readonly failures_missed: number;
  readonly warned_share: number;
  readonly lead_time_h: { readonly median: number; readonly p10: number; readonly p90: number };
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
    'roc_auc' | 'alert_thresholds' | 'gate' | 'folds_used' | 'false_alarms_per_equipment_month'
  >;
}

interface Interval {
  readonly equipment: string;
  readonly opened: number;
  closed: number;
  topTier: AlertTier;
  notified: number;
}

export interface Score {
  readonly ts: number;
  readonly p: number;
  readonly threshold: number | null;
}

const round = (v: number, d = 3) => (Number.isFinite(v) ? Math.round(v * 10 ** d) / 10 ** d : v);
const quantile = (sorted: readonly number[], q: number) =>
  sorted.length === 0 ? NaN : (sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] as number);

/** Judges alert intervals against the failures that followed them. */
export function judgeAlerts(
  intervals: readonly Interval[],
  failures: readonly FailureEvent[],
  spans: ReadonlyMap<string, { from: number; to: number }>,
  horizonMicros: number,
  months: number,
): AlertFigures {
  const failuresOf = new Map<string, number[]>();
  for (const f of failures) {
    const span = spans.get(f.equipment);
    if (span === undefined) continue;
    const list = failuresOf.get(f.equipment) ?? [];
    list.push(f.ts);
    failuresOf.set(f.equipment, list);
  }
  const isTrue = (a: Interval) =>
    (failuresOf.get(a.equipment) ?? []).some(
      (f) => f > a.opened && f <= Math.max(a.closed, a.opened + horizonMicros),
    );
  // Failures judged: those whose horizon before them lies inside the tested span.
  const judged: { equipment: string; ts: number }[] = [];
  for (const [equipment, list] of failuresOf) {
    const span = spans.get(equipment) as { from: number; to: number };
    for (const ts of list)
      if (ts - horizonMicros >= span.from && ts <= span.to + horizonMicros) judged.push({ equipment, ts });
  }
  const leads: number[] = [];
  for (const f of judged) {
    let first = Infinity;
    for (const a of intervals)
      if (a.equipment === f.equipment && a.opened < f.ts && a.closed >= f.ts - horizonMicros)
        first = Math.min(first, Math.max(a.opened, f.ts - horizonMicros));
    if (first < Infinity) leads.push((f.ts - first) / 3.6e9);
  }
  leads.sort((a, b) => a - b);
  const falseAlerts = intervals.filter((a) => !isTrue(a));
  const orders = intervals.filter((a) => a.topTier === 'work_order');
  const falseOrders = orders.filter((a) => !isTrue(a)).length;
  return {
    alerts: intervals.length,
    alerts_per_equipment_month: round(intervals.length / months),
    false_alerts: falseAlerts.length,
    work_orders: orders.length,
    false_work_orders: falseOrders,
    false_work_orders_per_equipment_month: round(falseOrders / months),
    notifications: intervals.reduce((s, a) => s + a.notified, 0),
    failures: judged.length,
    failures_warned: leads.length,
    failures_missed: judged.length - leads.length,
    warned_share: round(judged.length === 0 ? NaN : leads.length / judged.length),
    lead_time_h: {
      median: round(quantile(leads, 0.5), 2),
      p10: round(quantile(leads, 0.1), 2),
      p90: round(quantile(leads, 0.9), 2),
    },
  };
}

/** Out-of-sample scores per equipment: time, calibrated probability, its fold's alert threshold. */
export type TestScores = Map<string, Score[]>;

export interface AlertReplay {
  readonly equipment: number;
  readonly equipment_months: number;
  readonly test_instants: number;
  readonly policy: AlertFigures;
  readonly raw_threshold: AlertFigures;
}

/**
 * The policy and the raw threshold over out-of-sample scores (per equipment, any order), judged
 * against `failures`. `modelAnswers`: whether the model (not a baseline) would be served, which
 * decides whether work orders are opened.
 */
export function replayAlerts(
  scores: TestScores,
  failures: readonly FailureEvent[],
  o: Pick<AlertBacktestOptions, 'horizonHours' | 'policyOf' | 'lineOf' | 'timeZone'>,
  modelAnswers: boolean,
): AlertReplay {
  const H = o.horizonHours * 3.6e9;
  const spans = new Map<string, { from: number; to: number }>();
  let instants = 0;
  for (const [equipment, list] of scores) {
    list.sort((x, y) => x.ts - y.ts);
    instants += list.length;
    spans.set(equipment, { from: (list[0] as Score).ts, to: (list[list.length - 1] as Score).ts });
  }
  const months = [...spans.values()].reduce((s, x) => s + (x.to - x.from), 0) / (30 * 86400e6);
  const tracker = new AlertTracker(o.policyOf, o.timeZone);
  const policyIntervals: Interval[] = [];
  const rawIntervals: Interval[] = [];
  for (const [equipment, list] of scores) {
    const line = o.lineOf(equipment);
    const fails = failures.filter((f) => f.equipment === equipment).map((f) => f.ts);
    const openById = new Map<string, Interval>();
    let raw: Interval | null = null;
    let prev = -Infinity;
    for (const s of list) {
      // A failure since the last instant: repaired, so what was open on it resolves there.
      const failed = fails.find((f) => f > prev && f <= s.ts);
      if (failed !== undefined) {
        for (const c of tracker.maintained(equipment)) {
          const iv = openById.get(c.alert.id);
          if (iv) iv.closed = failed;
          openById.delete(c.alert.id);
        }
        if (raw !== null) raw.closed = failed;
        raw = null;
      }
      prev = s.ts;
      const threshold = s.threshold ?? UNCHOSEN_ALERT_AT;
      const cond = failureRiskCondition(o.policyOf(equipment), s.p, threshold, modelAnswers, o.horizonHours);
      for (const c of tracker.observe(s.ts, equipment, line, [cond])) {
        if (c.kind === 'opened') {
          const iv: Interval = {
            equipment,
            opened: s.ts,
            closed: Infinity,
            topTier: c.alert.tier,
            notified: c.notifyAt === null ? 0 : 1,
          };
          openById.set(c.alert.id, iv);
          policyIntervals.push(iv);
        } else if (c.kind === 'escalated') {
          const iv = openById.get(c.alert.id);
          if (iv) {
            iv.topTier = c.alert.top_tier;
            if (c.notifyAt !== null) iv.notified++;
          }
        } else {
          const iv = openById.get(c.alert.id);
          if (iv) iv.closed = s.ts;
          openById.delete(c.alert.id);
        }
      }
      // The raw threshold: open on every upward crossing, close below it.
      if (s.p >= threshold && raw === null) {
        raw = { equipment, opened: s.ts, closed: Infinity, topTier: 'work_order', notified: 1 };
        rawIntervals.push(raw);
      } else if (s.p < threshold && raw !== null) {
        raw.closed = s.ts;
        raw = null;
      }
    }
    // Still open at the end of the test: open until then (a failure after it still counts).
    for (const iv of openById.values()) iv.closed = spans.get(equipment)?.to ?? iv.opened;
    if (raw !== null) raw.closed = spans.get(equipment)?.to ?? raw.opened;
    for (const a of tracker.openAlerts().filter((x) => x.equipment === equipment))
      tracker.close(a.equipment, a.cause);
  }
  return {
    equipment: spans.size,
    equipment_months: round(months),
    test_instants: instants,
    policy: judgeAlerts(policyIntervals, failures, spans, H, months),
    raw_threshold: judgeAlerts(rawIntervals, failures, spans, H, months),
  };
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
    features,
    onProgress: o.onProgress,
    onTestScore: (ts, equipment, p, threshold) => {
      const list = scores.get(equipment) ?? [];
      list.push({ ts, p, threshold });
      scores.set(equipment, list);
    },
  });
  // Live, a model that does not pass its gate is not served: a baseline answers, and opens no work order.
  const replay = replayAlerts(scores, features.failures, o, b.gate.passed);
  return {
    horizon_h: o.horizonHours,
    ...replay,
    failure: {
      roc_auc: b.roc_auc,
      alert_thresholds: b.alert_thresholds,
      gate: b.gate,
      folds_used: b.folds_used,
      false_alarms_per_equipment_month: b.false_alarms_per_equipment_month,
    },
  };
}
