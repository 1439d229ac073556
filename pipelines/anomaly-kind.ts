/**
 * The anomaly model kind on a harness training side: which instants count as normal, which
 * features it scores and which context it conditions on, the purged reference slice, and the
 * alarm level for a false-alarm budget. No failure label is needed; where failures are known
 * before the cut, the instants shortly before them are kept out of "normal" too.
 */
import { AnomalyScorer, fitAnomaly } from '../models/anomaly.ts';
import type { AnomalyModel } from '../models/anomaly.ts';
import { anomalyCondition, DEFAULT_ALERT_POLICY, DEFAULT_ANOMALY_ALARM_BUDGET } from './alert-policy.ts';
import type { AlertPolicy, Condition } from './alert-policy.ts';
import { conditionSeries, prepareReplay, replayInstants } from './alert-replay.ts';
import type { ConditionAt } from './alert-replay.ts';
import {
  CALIBRATION_SHARE,
  equipmentMonths,
  maintenanceSeen,
  rowsKnownBefore,
  rowsWhere,
} from './harness.ts';
import type { Evidence } from './harness.ts';

/** Statistics that describe a sensor's level and spread (counts, missing shares and slopes do not). */
const SCORED_STATS = new Set(['mean', 'std', 'min', 'max', 'last', 'ewma', 'rms', 'ptp', 'skew', 'kurt']);

/** Hours before a known failure that are never "normal" (the degradation a model should see). */
export const NORMAL_MARGIN_HOURS = 48;
/** Hours after a maintenance starts (0 while it is in progress) that are never "normal". */
export const AFTER_MAINTENANCE_HOURS = 1;

export interface AnomalyKindOptions {
  /** Keep instants within this many hours before a failure known at the cut out of training. */
  readonly marginHours?: number;
  /** false: learn as if no failure were known (the evaluation's "no label used"). Default true. */
  readonly useFailures?: boolean;
  /** False alerts per equipment-month allowed on the reference slice at the alarm level (default 2). */
  readonly alarmBudget?: number;
  readonly trim?: number;
  /**
   * The alert policy of each equipment (default the engine's): the budget counts alerts as its
   * `anomaly` cause raises them (hysteresis, hold, clear time; maintenance resolves), the alerts a
   * plant would receive.
   */
  readonly policyOf?: (equipment: string) => AlertPolicy;
}

export interface AnomalyFit {
  readonly model: AnomalyModel;
  /**
   * Alarm when the health index is at or below this level: the highest level whose alarms on
   * the reference slice (normal instants the fits never saw) stay within the budget, kept between
   * the reference's 99th percentile (health 0.5) and its 99.9th.
   */
  readonly alarmHealth: number;
  readonly fitRows: number;
  readonly referenceRows: number;
  /** Rows before the cut left out of "normal": near a known failure, in or just after maintenance. */
  readonly excluded: { readonly failure: number; readonly maintenance: number };
}

/**
 * The scored features of a feature set's columns: sensor features (`sensor__stat__window`) whose
 * statistic is in `stats` (default: the level and spread statistics).
 */
export function anomalyFeatures(
  names: readonly string[],
  stats: ReadonlySet<string> = SCORED_STATS,
): string[] {
  return names.filter((n) => {
    const parts = n.split('__');
    return parts.length === 3 && stats.has(parts[1] as string);
  });
}

/** The context the model conditions on, where the feature set has it. */
export function anomalyContext(names: readonly string[]): {
  load: string | null;
  product: string | null;
  group: string | null;
} {
  const has = (n: string) => (names.includes(n) ? n : null);
  return { load: has('batch_load'), product: has('product_code'), group: has('equipment_class') };
}

/**
 * Normal instants as the training side at `cut` knows them: before the cut, not in or just after
 * a maintenance, and (with `useFailures`) not within `marginHours` before a failure seen before
 * the cut. In (time, equipment) order.
 */
export function normalRows(
  ev: Evidence,
  cut: number,
  o: AnomalyKindOptions = {},
): { rows: number[]; excluded: { failure: number; maintenance: number } } {
  const margin = (o.marginHours ?? NORMAL_MARGIN_HOURS) * 3.6e9;
  const m = ev.names.indexOf('hours_since_maintenance');
  const age = m < 0 ? null : (ev.columns[m] as Float64Array);
  const byEq = new Map<string, number[]>();
  if (o.useFailures !== false)
    for (const f of ev.failures) {
      if (f.ts >= cut) continue;
      const list = byEq.get(f.equipment);
      if (list) list.push(f.ts);
      else byEq.set(f.equipment, [f.ts]);
    }
  const excluded = { failure: 0, maintenance: 0 };
  const rows = rowsWhere(ev, (i) => {
    const t = ev.ts[i] as number;
    if (!(t < cut)) return false;
    if (age !== null && (age[i] as number) < AFTER_MAINTENANCE_HOURS) {
      excluded.maintenance++;
      return false;
    }
    const fails = byEq.get(ev.equipment[i] as string);
    if (fails?.some((f) => f > t - 1 && f - t <= margin)) {
      excluded.failure++;
      return false;
    }
    return true;
  });
  return { rows, excluded };
}

/** Health of the given rows under a model (NaN where it cannot score). */
export function healthAt(model: AnomalyModel, ev: Evidence, rows: readonly number[]): Float64Array {
  const scorer = new AnomalyScorer(model);
  return Float64Array.from(scorer.scoreColumns(ev, rows), (s) => s.health);
}

/**
 * The health of `rows` as the policy's `anomaly` cause observes it, per equipment (an unscored
 * instant as healthy), at the alarm level `levelAt(j)` of row j: what an alert replay feeds the
 * AlertTracker.
 */
export function anomalyConditions(
  ev: Evidence,
  rows: readonly number[],
  health: ArrayLike<number>,
  levelAt: (j: number) => number,
  policyOf: (equipment: string) => AlertPolicy,
): Map<string, ConditionAt[]> {
  return conditionSeries(ev, rows, anomalyConditionAt(health, levelAt, policyOf));
}

/** The anomaly condition of row j (an unscored instant as healthy) at the alarm level `levelAt(j)`. */
function anomalyConditionAt(
  health: ArrayLike<number>,
  levelAt: (j: number) => number,
  policyOf: (equipment: string) => AlertPolicy,
): (equipment: string, j: number) => Condition {
  return (eq, j) => {
    const h = health[j] as number;
    return anomalyCondition(policyOf(eq), h === h ? h : 1, levelAt(j), undefined);
  };
}

/**
 * The highest health level at which the alerts the policy's `anomaly` cause would raise on `rows`
 * (normal instants: every alert there is a false one) stay within `budget` per equipment-month.
 */
export function alarmLevelForBudget(
  ev: Evidence,
  rows: readonly number[],
  health: ArrayLike<number>,
  budget: number,
  policyOf: (equipment: string) => AlertPolicy = () => DEFAULT_ALERT_POLICY,
): number {
  const months = equipmentMonths(ev, rows);
  const sorted = Array.from(health)
    .filter((v) => v === v)
    .sort((a, b) => a - b);
  if (sorted.length === 0 || months === 0) return 0;
  // The instants prepared once for every candidate level (as `anomalyConditions` gives them).
  const replay = prepareReplay(replayInstants(ev, rows), [], {
    horizonHours: 0,
    policyOf,
    lineOf: () => '',
    maintenance: maintenanceSeen(ev),
  });
  const alerts = (level: number) =>
    replay.run(anomalyConditionAt(health, () => level, policyOf)).policy.alerts;
  // Candidate levels from the lowest health up (alarms grow as the level rises): 400 quantiles.
  const steps = Math.min(400, sorted.length);
  let best = 0;
  for (let k = 0; k < steps; k++) {
    const level = sorted[Math.floor((k / steps) * sorted.length)] as number;
    if (alerts(level) / months > budget) break;
    best = level;
  }
  return best;
}

/**
 * Fits the anomaly kind on what is known before `cut`: the normal instants' earlier share fits,
 * the latest CALIBRATION_SHARE (a purge of the longest window after them) is the reference and
 * chooses the alarm level.
 */
export function fitAnomalyKind(ev: Evidence, cut: number, o: AnomalyKindOptions = {}): AnomalyFit {
  // Not the interval the cut falls in: its row may be a reading after the cut.
  const known = rowsKnownBefore(ev, cut);
  const normal = normalRows(ev, cut, o);
  const rows = normal.rows.filter((i) => (ev.ts[i] as number) < known);
  const excluded = normal.excluded;
  const purge = (ev.lookbackHours ?? 0) * 3.6e9;
  const k = Math.floor(rows.length * (1 - CALIBRATION_SHARE));
  const refStart = rows.length === 0 ? Infinity : (ev.ts[rows[k] as number] as number);
  const fitRows = rows.filter((i) => (ev.ts[i] as number) < refStart - purge);
  const referenceRows = rows.filter((i) => (ev.ts[i] as number) >= refStart);
  const model = fitAnomaly(
    ev,
    anomalyFeatures(ev.names),
    anomalyContext(ev.names),
    fitRows.length > 0 ? fitRows : rows,
    referenceRows,
    { trim: o.trim },
  );
  const health = healthAt(model, ev, referenceRows);
  // The budget chooses between the reference's 99th and 99.9th percentiles of normal: below that,
  // degradation hidden in an unlabelled reference (failures no one recorded) would set the level.
  const sorted = Float64Array.from(health)
    .filter((v) => v === v)
    .sort();
  const floor = sorted.length === 0 ? 0 : (sorted[Math.floor(0.001 * (sorted.length - 1))] as number);
  const alarmHealth = Math.min(
    0.5,
    Math.max(
      floor,
      alarmLevelForBudget(
        ev,
        referenceRows,
        health,
        o.alarmBudget ?? DEFAULT_ANOMALY_ALARM_BUDGET,
        o.policyOf,
      ),
    ),
  );
  return { model, alarmHealth, fitRows: fitRows.length, referenceRows: referenceRows.length, excluded };
}
