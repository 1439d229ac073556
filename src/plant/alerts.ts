/**
 * The alert policy as the plant file states it (`alerts:` at the top for every class, and per
 * class to differ): levels, hysteresis, hold times, tiers, grouping, quiet hours and the causes
 * that raise. pipelines/alert-policy.ts runs it; docs/alerts.md explains each field.
 */

export const ALERT_CAUSES = [
  'failure_risk',
  'rul_before_batch_end',
  'quality_drift',
  'anomaly',
  'insufficient_data',
  'silent',
] as const;
export type AlertCause = (typeof ALERT_CAUSES)[number];
export const ALERT_TIERS = ['work_order', 'notify', 'info'] as const;
export type AlertTier = (typeof ALERT_TIERS)[number];

export interface AlertPolicy {
  /** Failure probability that raises: the served model's threshold for the false-alarm budget, or a fixed one. */
  readonly raise_at: number | 'threshold';
  /** A raised alert clears below raise level x this (0 < r <= 1; 1: no hysteresis). */
  readonly clear_ratio: number;
  /** Minutes a condition must hold before it raises (0: at once). */
  readonly hold_minutes: number;
  /**
   * Minutes the `anomaly` cause must hold before it raises. Its own default: a model that never saw
   * a failure also departs from normal for the half hour a recipe change or a start-up takes.
   */
  readonly anomaly_hold_minutes: number;
  /** Minutes it must stay clear before the alert resolves by itself. */
  readonly clear_minutes: number;
  /** Failure probability of the work-order tier; `auto`: halfway from the raise level to 1. */
  readonly work_order_at: number | 'auto';
  /** Same cause, same line, while one is open: one group, notified once. */
  readonly group_by_line: boolean;
  /** Local times `HH:MM-HH:MM` in the plant's time zone (e.g. 22:00-06:00); null: none. */
  readonly quiet_hours: string | null;
  /** The causes that raise alerts. */
  readonly causes: readonly AlertCause[];
}

export const DEFAULT_ALERT_POLICY: AlertPolicy = {
  raise_at: 'threshold',
  clear_ratio: 0.7,
  // 0: on the simulated plant's 28-day backtest a 30-minute hold removed no false alert and cost
  // a warned failure (docs/alerts.md); a plant whose scores flicker sets one.
  hold_minutes: 0,
  // 30: on the simulated 28-day plants (seeds 3 and 5) a hold of 30 minutes took the anomaly
  // cause's false alerts from 4.2 and 4.0 to 1.9 and 0.6 per equipment-month, warning one failure
  // fewer of 17 on each (docs/anomaly.md); longer holds removed little more.
  anomaly_hold_minutes: 30,
  clear_minutes: 120,
  work_order_at: 'auto',
  group_by_line: true,
  quiet_hours: null,
  causes: [...ALERT_CAUSES],
};

/**
 * False notifications per equipment-month a failure model's alert threshold is chosen for
 * (PDM_ALERT_BUDGET). 2, with the work-order tier held to 0.2 false work orders: on six simulated
 * 28-day plants (seeds 3, 5, 7 and 11) the walk-forward replay then warned 75-94 % of failures with
 * a median lead of 21-24 h at 0-0.77 false work orders per equipment-month; at 1 and 1 two of the
 * six warned fewer than 75 % (docs/alerts.md).
 */
export const DEFAULT_ALERT_BUDGET = 2;
/** False work orders per equipment-month the work-order level is chosen for (PDM_WORK_ORDER_BUDGET). */
export const DEFAULT_WORK_ORDER_BUDGET = 0.2;
/**
 * False alarms per equipment-month the anomaly model's alarm level is chosen for
 * (PDM_ANOMALY_ALARM_BUDGET; its own setting: anomaly alarms answer only where no failure model is
 * promoted, and only notify). 2: the level never rises past the reference's 99th percentile
 * (health 0.5), which then binds in most folds; on six simulated 28-day plants the replay with
 * failures hidden gave median leads of 13.9-24 h at 0-1.92 false alarms per equipment-month, where
 * a budget of 1 held the level lower in some folds and one plant's median lead was 11.1 h
 * (docs/anomaly.md).
 */
export const DEFAULT_ANOMALY_ALARM_BUDGET = 2;

/** "22:00-06:00" -> minutes after midnight; throws with the reason. */
export function parseQuietHours(text: string): { from: number; to: number } {
  const m = /^(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})$/.exec(text.trim());
  const at = (h: string, mm: string) => {
    const v = Number(h) * 60 + Number(mm);
    if (Number(h) > 24 || Number(mm) > 59 || v > 1440) throw new Error(`${h}:${mm} is not a time of day`);
    return v;
  };
  if (m === null) throw new Error(`${JSON.stringify(text)} is not HH:MM-HH:MM (e.g. 22:00-06:00)`);
  const from = at(m[1] as string, m[2] as string);
  const to = at(m[3] as string, m[4] as string);
  if (from === to) throw new Error(`${text}: an empty span`);
  return { from, to };
}

type Obj = Record<string, unknown>;

const FIELDS = [
  'raise_at',
  'clear_ratio',
  'hold_minutes',
  'anomaly_hold_minutes',
  'clear_minutes',
  'work_order_at',
  'group_by_line',
  'quiet_hours',
  'causes',
] as const;

/**
 * `raw` (a plant file's `alerts:` mapping) over `base`; each problem reported by its path through
 * `bad`. Absent fields keep `base`'s values.
 */
export function readAlertPolicy(
  raw: unknown,
  at: string,
  base: AlertPolicy,
  bad: (path: string, reason: string) => void,
): AlertPolicy {
  if (raw === undefined || raw === null) return base;
  if (typeof raw !== 'object' || Array.isArray(raw)) {
    bad(at, `expected a mapping with some of ${FIELDS.join(', ')}`);
    return base;
  }
  const o = raw as Obj;
  for (const k of Object.keys(o))
    if (!(FIELDS as readonly string[]).includes(k))
      bad(`${at}.${k}`, `unknown field (expected one of ${FIELDS.join(', ')})`);
  const prob = (k: 'raise_at' | 'work_order_at', word: string): number | string | undefined => {
    const v = o[k];
    if (v === undefined) return undefined;
    if (v === word || (typeof v === 'number' && v > 0 && v < 1)) return v;
    bad(`${at}.${k}`, `${JSON.stringify(v)}: expected a probability in (0, 1) or ${word}`);
    return undefined;
  };
  const minutes = (k: 'hold_minutes' | 'anomaly_hold_minutes' | 'clear_minutes'): number | undefined => {
    const v = o[k];
    if (v === undefined) return undefined;
    if (typeof v === 'number' && v >= 0 && v <= 7 * 1440) return v;
    bad(`${at}.${k}`, `${JSON.stringify(v)}: expected minutes in [0, 10080]`);
    return undefined;
  };
  let clear: number | undefined;
  if (o.clear_ratio !== undefined) {
    if (typeof o.clear_ratio === 'number' && o.clear_ratio > 0 && o.clear_ratio <= 1) clear = o.clear_ratio;
    else bad(`${at}.clear_ratio`, `${JSON.stringify(o.clear_ratio)}: expected a ratio in (0, 1]`);
  }
  let group: boolean | undefined;
  if (o.group_by_line !== undefined) {
    if (typeof o.group_by_line === 'boolean') group = o.group_by_line;
    else bad(`${at}.group_by_line`, 'expected true or false');
  }
  let quiet: AlertPolicy['quiet_hours'] | undefined;
  if (o.quiet_hours === null) quiet = null;
  else if (o.quiet_hours !== undefined) {
    try {
      if (typeof o.quiet_hours !== 'string') throw new Error('expected HH:MM-HH:MM (e.g. 22:00-06:00)');
      parseQuietHours(o.quiet_hours);
      quiet = o.quiet_hours.trim();
    } catch (err) {
      bad(`${at}.quiet_hours`, (err as Error).message);
    }
  }
  let causes: AlertCause[] | undefined;
  if (o.causes !== undefined) {
    if (!Array.isArray(o.causes)) bad(`${at}.causes`, `expected a list of ${ALERT_CAUSES.join(', ')}`);
    else {
      causes = [];
      o.causes.forEach((c: unknown, i: number) => {
        if ((ALERT_CAUSES as readonly unknown[]).includes(c)) causes!.push(c as AlertCause);
        else bad(`${at}.causes[${i}]`, `${JSON.stringify(c)} is not one of ${ALERT_CAUSES.join(', ')}`);
      });
    }
  }
  return {
    raise_at: (prob('raise_at', 'threshold') as AlertPolicy['raise_at'] | undefined) ?? base.raise_at,
    clear_ratio: clear ?? base.clear_ratio,
    hold_minutes: minutes('hold_minutes') ?? base.hold_minutes,
    anomaly_hold_minutes: minutes('anomaly_hold_minutes') ?? base.anomaly_hold_minutes,
    clear_minutes: minutes('clear_minutes') ?? base.clear_minutes,
    work_order_at:
      (prob('work_order_at', 'auto') as AlertPolicy['work_order_at'] | undefined) ?? base.work_order_at,
    group_by_line: group ?? base.group_by_line,
    quiet_hours: quiet === undefined ? base.quiet_hours : quiet,
    causes: causes ?? base.causes,
  };
}
