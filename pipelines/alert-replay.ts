/**
 * Alerts replayed over history: conditions (per equipment, instant by instant) fed through the same
 * AlertTracker the live engine runs, and the raw threshold beside them (every instant the
 * condition is active opens an alert if none is open), both judged against the failures that
 * followed:
 * - an alert is true when a failure of its equipment follows while it is open or within the
 *   horizon after it opened; false otherwise;
 * - a failure is warned when an alert was open at some instant of the horizon before it; its lead
 *   time runs from the later of that alert's opening and the start of the horizon (capped at the
 *   horizon, as `pdm backtest failure` counts it);
 * - a failure, being repaired, resolves what was open on its equipment, and so does a maintenance
 *   (from the instant the history shows it), as live.
 * The alert backtests (failure risk, anomaly) report it, and the model kinds choose their alert
 * levels for a false-alarm budget by it, so a budget counts what the alerts will be judged by.
 */
import type { FailureEvent } from '../features/index.ts';
import { AlertTracker, failureRiskCondition, UNCHOSEN_ALERT_AT } from './alert-policy.ts';
import type { AlertPolicy, AlertTier, Condition } from './alert-policy.ts';
import type { Evidence } from './harness.ts';

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
  readonly lead_time_h: LeadTimes;
}

/** Lead times (h) of the warned failures, sorted, with their median and 10-90 % range (2 decimals). */
export interface LeadTimes {
  readonly median: number;
  readonly p10: number;
  readonly p90: number;
  /** Every warned failure's lead (h), ascending. */
  readonly values: number[];
}

export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] as number;
}

export function leadTimes(sorted: readonly number[]): LeadTimes {
  const r = (v: number) => Math.round(v * 100) / 100;
  return {
    median: r(quantile(sorted, 0.5)),
    p10: r(quantile(sorted, 0.1)),
    p90: r(quantile(sorted, 0.9)),
    values: sorted.map(r),
  };
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
  /** The fold's work-order level for its work-order budget (null: halfway from the threshold). */
  readonly workOrderAt?: number | null;
}

const round = (v: number, d = 3) => (Number.isFinite(v) ? Math.round(v * 10 ** d) / 10 ** d : v);

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
    lead_time_h: leadTimes(leads),
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

/** One equipment's condition for one cause at one instant, as the live engine would observe it. */
export interface ConditionAt {
  readonly ts: number;
  readonly condition: Condition;
}

export interface ReplayOptions {
  readonly horizonHours: number;
  /** The policy of each equipment (its class's, from the plant file). */
  readonly policyOf: (equipment: string) => AlertPolicy;
  readonly lineOf: (equipment: string) => string;
  /** The plant's time zone (quiet hours are local). */
  readonly timeZone?: string;
  /**
   * Per equipment, the instants (µs) at which a maintenance became known (see `maintenanceSeen`):
   * live, maintenance resolves what is open on the equipment, so the replay does too. A failure
   * (repaired) always does.
   */
  readonly maintenance?: ReadonlyMap<string, readonly number[]>;
  /** The tier of every raw-threshold alert (default: the condition's own). */
  readonly rawTier?: AlertTier;
}

/**
 * Per equipment, the condition of each of `rows` (indices into the evidence), as `conditionAt`
 * gives it for row j: the series a replay takes.
 */
export function conditionSeries(
  ev: Pick<Evidence, 'ts' | 'equipment'>,
  rows: readonly number[],
  conditionAt: (equipment: string, j: number) => Condition,
): Map<string, ConditionAt[]> {
  const series = new Map<string, ConditionAt[]>();
  for (const [eq, list] of replayInstants(ev, rows))
    series.set(
      eq,
      list.map((s) => ({ ts: s.ts, condition: conditionAt(eq, s.ref) })),
    );
  return series;
}

/** One instant of a replay: its time and what the caller finds its condition by (`ref`). */
export interface ReplayInstant {
  readonly ts: number;
  readonly ref: number;
}

/**
 * Per equipment (in the order first seen), the instants of `rows` with ref j for row j: what
 * `prepareReplay` takes where the conditions come from per-row figures.
 */
export function replayInstants(
  ev: Pick<Evidence, 'ts' | 'equipment'>,
  rows: readonly number[],
): Map<string, ReplayInstant[]> {
  const out = new Map<string, ReplayInstant[]>();
  rows.forEach((i, j) => {
    const eq = ev.equipment[i] as string;
    const at: ReplayInstant = { ts: ev.ts[i] as number, ref: j };
    const list = out.get(eq);
    if (list) list.push(at);
    else out.set(eq, [at]);
  });
  return out;
}

/** A replay's instants and everything about them that does not depend on the conditions. */
export interface PreparedReplay {
  /** The replay with the condition of each instant as `conditionAt` gives it for its ref. */
  run(conditionAt: (equipment: string, ref: number) => Condition): AlertReplay;
}

/**
 * Prepares a replay of the given instants (per equipment, any order; each list is sorted by time
 * in place): the time order, each equipment's span, and the failure or maintenance that resolved
 * what was open before each instant are found once, however many times it is run. A walk over
 * candidate alert levels replays the same instants under hundreds of conditions; `run` builds no
 * series of them.
 */
export function prepareReplay(
  instants: Map<string, ReplayInstant[]>,
  failures: readonly FailureEvent[],
  o: ReplayOptions,
): PreparedReplay {
  const H = o.horizonHours * 3.6e9;
  const spans = new Map<string, { from: number; to: number }>();
  let count = 0;
  const groups: { equipment: string; ts: Float64Array; ref: Int32Array; resolvedAt: Float64Array }[] = [];
  for (const [equipment, list] of instants) {
    list.sort((x, y) => x.ts - y.ts);
    count += list.length;
    spans.set(equipment, {
      from: (list[0] as ReplayInstant).ts,
      to: (list[list.length - 1] as ReplayInstant).ts,
    });
    const fails = failures.filter((f) => f.equipment === equipment).map((f) => f.ts);
    const works = o.maintenance?.get(equipment) ?? [];
    const ts = new Float64Array(list.length);
    const ref = new Int32Array(list.length);
    // A failure (repaired) or a maintenance since the previous instant: what was open on it
    // resolves, at that time (Infinity: nothing).
    const resolvedAt = new Float64Array(list.length);
    let prev = -Infinity;
    list.forEach((s, k) => {
      const failed = fails.find((f) => f > prev && f <= s.ts);
      const worked = works.find((m) => m > prev && m <= s.ts);
      resolvedAt[k] = Math.min(failed ?? Infinity, worked ?? Infinity);
      ts[k] = s.ts;
      ref[k] = s.ref;
      prev = s.ts;
    });
    groups.push({ equipment, ts, ref, resolvedAt });
  }
  const months = [...spans.values()].reduce((s, x) => s + (x.to - x.from), 0) / (30 * 86400e6);
  return {
    run(conditionAt) {
      const tracker = new AlertTracker(o.policyOf, o.timeZone);
      const policyIntervals: Interval[] = [];
      const rawIntervals: Interval[] = [];
      for (const { equipment, ts, ref, resolvedAt } of groups) {
        const line = o.lineOf(equipment);
        const openById = new Map<string, Interval>();
        let raw: Interval | null = null;
        for (let k = 0; k < ts.length; k++) {
          const t = ts[k] as number;
          const at = resolvedAt[k] as number;
          if (at < Infinity) {
            for (const c of tracker.maintained(equipment)) {
              const iv = openById.get(c.alert.id);
              if (iv) iv.closed = at;
              openById.delete(c.alert.id);
            }
            if (raw !== null) raw.closed = at;
            raw = null;
          }
          const cond = conditionAt(equipment, ref[k] as number);
          for (const c of tracker.observe(t, equipment, line, [cond])) {
            if (c.kind === 'opened') {
              const iv: Interval = {
                equipment,
                opened: t,
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
              if (iv) iv.closed = t;
              openById.delete(c.alert.id);
            }
          }
          // The raw threshold: open while active, close at the first instant it is not.
          if (cond.active && raw === null) {
            raw = { equipment, opened: t, closed: Infinity, topTier: o.rawTier ?? cond.tier, notified: 1 };
            rawIntervals.push(raw);
          } else if (!cond.active && raw !== null) {
            raw.closed = t;
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
        test_instants: count,
        policy: judgeAlerts(policyIntervals, failures, spans, H, months),
        raw_threshold: judgeAlerts(rawIntervals, failures, spans, H, months),
      };
    },
  };
}

/**
 * Any cause's conditions (per equipment, any order) through the policy's AlertTracker, and the
 * raw threshold beside it (every instant the condition is active opens an alert if none is open;
 * the first instant it is not closes it), both judged against `failures`.
 */
export function replayConditions(
  series: Map<string, ConditionAt[]>,
  failures: readonly FailureEvent[],
  o: ReplayOptions,
): AlertReplay {
  const conditions: Condition[] = [];
  const instants = new Map<string, ReplayInstant[]>();
  for (const [equipment, list] of series)
    instants.set(
      equipment,
      list.map((s) => ({ ts: s.ts, ref: conditions.push(s.condition) - 1 })),
    );
  return prepareReplay(instants, failures, o).run((_, ref) => conditions[ref] as Condition);
}

/**
 * The policy and the raw threshold over out-of-sample failure probabilities (per equipment, any
 * order), judged against `failures`. `modelAnswers`: whether the model (not a baseline) would be
 * served, which decides whether work orders are opened; the raw threshold opens one at every
 * upward crossing, as naive auto-generation does.
 */
export function replayAlerts(
  scores: TestScores,
  failures: readonly FailureEvent[],
  o: ReplayOptions,
  modelAnswers: boolean,
): AlertReplay {
  const series = new Map<string, ConditionAt[]>();
  for (const [equipment, list] of scores)
    series.set(
      equipment,
      list.map((s) => ({
        ts: s.ts,
        condition: failureRiskCondition(
          o.policyOf(equipment),
          s.p,
          s.threshold ?? UNCHOSEN_ALERT_AT,
          modelAnswers,
          o.horizonHours,
          s.workOrderAt,
        ),
      })),
    );
  return replayConditions(series, failures, { ...o, rawTier: 'work_order' });
}
