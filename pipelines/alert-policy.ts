/**
 * The alert policy: when a forecast becomes an alert, and the fatigue controls that keep alerts
 * few enough to be read. Pure (no store, no clock): the live alert manager (src/alerts) and the
 * backtest (backtest-alerts.ts) run the same code over the same kind of observations, so what the
 * backtest reports is what the plant would have seen.
 *
 * Per equipment and cause there is at most one open alert; a condition observed again updates it.
 * - Hysteresis: a cause raises at its raise level and clears only below `clear_ratio` of it.
 * - Hold: a condition must hold `hold_minutes` (the anomaly cause: `anomaly_hold_minutes`) before
 *   it raises (a single spike does not), and stay clear `clear_minutes` before the alert resolves by
 *   itself (a dip does not close it).
 * - Tiers: `work_order` (a work order is opened automatically: a served model, not a baseline,
 *   puts the risk at `work_order_at` or above), `notify` (people are told), `info` (data issues).
 * - Grouping: the same cause on the same line while one is open joins its group; the group is
 *   notified once (each equipment still gets its own alert and, at the top tier, work order).
 * - Quiet hours: notifications below the top tier raised in them wait for their end (and are not
 *   sent at all if the alert closed meanwhile); work orders go at once.
 */

import { parseQuietHours } from '../src/plant/alerts.ts';
import type { AlertCause, AlertPolicy, AlertTier } from '../src/plant/alerts.ts';

export {
  ALERT_CAUSES,
  ALERT_TIERS,
  DEFAULT_ALERT_BUDGET,
  DEFAULT_ALERT_POLICY,
  DEFAULT_ANOMALY_ALARM_BUDGET,
  DEFAULT_WORK_ORDER_BUDGET,
  parseQuietHours,
} from '../src/plant/alerts.ts';
export type { AlertCause, AlertPolicy, AlertTier } from '../src/plant/alerts.ts';

/** What one scoring of one equipment says about one cause. */
export interface Condition {
  readonly cause: AlertCause;
  /** At or above the raise level (a data issue: present). */
  readonly active: boolean;
  /** Below the clear level (a data issue: gone). Neither active nor clear: in the hysteresis band. */
  readonly clear: boolean;
  readonly tier: AlertTier;
  /** The figure behind it: a probability, hours, or 1 for a data issue. */
  readonly value: number;
  readonly reason: string;
}

/** The raise and clear levels and tier of a failure probability under a policy. */
/**
 * Where a failure model alerts when its training found no threshold for the budget (its
 * calibration slice held false alarms at every level): even odds. The live recommendation, the
 * alert policy and both backtests use this one value, so a backtest judges what is served.
 */
export const UNCHOSEN_ALERT_AT = 0.5;

/** `work_order_at: auto`: halfway from the raise level to 1, or the model's level for its work-order budget if higher. */
export function autoWorkOrderAt(raise: number, workOrderAt?: number | null): number {
  const halfway = raise + (1 - raise) / 2;
  return workOrderAt !== null && workOrderAt !== undefined && workOrderAt > halfway ? workOrderAt : halfway;
}

export function failureRiskCondition(
  policy: AlertPolicy,
  p: number,
  threshold: number | null | undefined,
  modelAnswered: boolean,
  horizonH: number,
  /**
   * The model's work-order level for its work-order budget (`workOrderLevelForBudget`): with
   * `work_order_at: auto` the work-order tier starts at the higher of it and halfway from the
   * raise level to 1.
   */
  workOrderAt?: number | null,
): Condition {
  const raise = policy.raise_at === 'threshold' ? (threshold ?? UNCHOSEN_ALERT_AT) : policy.raise_at;
  const top = policy.work_order_at === 'auto' ? autoWorkOrderAt(raise, workOrderAt) : policy.work_order_at;
  return new FailureRiskCondition(p, raise, policy.clear_ratio, top, modelAnswered, horizonH);
}

/**
 * A failure-risk condition whose reason is written when read: a training run replays every
 * candidate alert level over its calibration rows (hundreds of thousands of conditions), and only
 * the instants an alert is open read it. A getter on the prototype: spreading one drops `reason`.
 */
class FailureRiskCondition implements Condition {
  readonly cause = 'failure_risk' as const;
  readonly active: boolean;
  readonly clear: boolean;
  readonly tier: AlertTier;

  constructor(
    readonly value: number,
    private readonly raise: number,
    clearRatio: number,
    private readonly top: number,
    private readonly modelAnswered: boolean,
    private readonly horizonH: number,
  ) {
    this.active = value >= raise;
    this.clear = value < raise * clearRatio;
    this.tier = modelAnswered && value >= top ? 'work_order' : 'notify';
  }

  get reason(): string {
    return (
      `failure probability ${this.value.toFixed(2)} within ${this.horizonH} h (raises at ${this.raise.toFixed(2)}, ` +
      `work order at ${this.top.toFixed(2)}${this.modelAnswered ? '' : '; a baseline answers: no work order'})`
    );
  }
}

/**
 * The anomaly cause: the health index at or below the model's alarm level raises; it clears once
 * the departure (1 - health) is below `clear_ratio` of the alarm's. Only a notification: a model
 * that never saw a failure does not open work orders on its own.
 */
export function anomalyCondition(
  policy: AlertPolicy,
  health: number,
  alarmHealth: number,
  driver: string | undefined,
): Condition {
  const raise = 1 - alarmHealth;
  const departure = 1 - health;
  return {
    cause: 'anomaly',
    active: departure >= raise,
    clear: departure < raise * policy.clear_ratio,
    tier: 'notify',
    value: health,
    reason:
      `health index ${health.toFixed(2)} (alarm at ${alarmHealth.toFixed(2)}, learnt from normal operation)` +
      (driver === undefined ? '' : `; ${driver}`),
  };
}

export interface OpenAlert {
  readonly id: string;
  readonly equipment: string;
  readonly line: string;
  readonly cause: AlertCause;
  readonly opened_at: number;
  readonly group_id: string;
  /** open or acknowledged (suppressed ones are kept apart, see `suppressedUntil`). */
  state: 'open' | 'acknowledged';
  tier: AlertTier;
  value: number;
  reason: string;
  /** The highest tier it reached (a work order once opened stays opened). */
  top_tier: AlertTier;
}

export type AlertChange =
  | { readonly kind: 'opened'; readonly alert: OpenAlert; readonly notifyAt: number | null }
  | { readonly kind: 'escalated'; readonly alert: OpenAlert; readonly notifyAt: number | null }
  | { readonly kind: 'resolved'; readonly alert: OpenAlert; readonly by: 'risk_fell' | 'maintenance' };

interface Track {
  pendingSince: number | null;
  clearSince: number | null;
  open: OpenAlert | null;
  suppressedUntil: number;
}

const TIER_RANK: Record<AlertTier, number> = { work_order: 0, notify: 1, info: 2 };

/** The local minute of the day of `micros` in `timeZone`. */
function localMinute(micros: number, fmt: Intl.DateTimeFormat): number {
  const parts = fmt.formatToParts(new Date(micros / 1000));
  const h = Number(parts.find((p) => p.type === 'hour')?.value) % 24;
  const m = Number(parts.find((p) => p.type === 'minute')?.value);
  return h * 60 + m;
}

const minuteFormats = new Map<string, Intl.DateTimeFormat>();

/**
 * The hour and minute format of a time zone, made once per zone: making one takes 0.1-0.2 ms, and
 * a training run makes a tracker for each of its thousands of alert replays.
 */
function minuteFormat(timeZone: string): Intl.DateTimeFormat {
  let fmt = minuteFormats.get(timeZone);
  if (fmt === undefined) {
    fmt = new Intl.DateTimeFormat('en-GB', {
      timeZone,
      hour: '2-digit',
      minute: '2-digit',
      hourCycle: 'h23',
    });
    minuteFormats.set(timeZone, fmt);
  }
  return fmt;
}

/**
 * The policy's state over a plant: one track per equipment and cause. `observe` takes one scoring
 * instant's conditions of one equipment and returns what changed.
 */
export class AlertTracker {
  private readonly tracks = new Map<string, Track>();
  /** The same tracks by equipment, then cause: `observe` finds one without building its key. */
  private readonly byEquipment = new Map<string, Map<AlertCause, Track>>();
  private readonly fmt: Intl.DateTimeFormat;
  private seq = 0;

  constructor(
    private readonly policyOf: (equipment: string) => AlertPolicy,
    timeZone = 'UTC',
    private readonly newId: () => string = () => `a${(++this.seq).toString(36)}`,
  ) {
    this.fmt = minuteFormat(timeZone);
  }

  private track(equipment: string, cause: AlertCause): Track {
    let causes = this.byEquipment.get(equipment);
    if (causes === undefined) this.byEquipment.set(equipment, (causes = new Map()));
    let t = causes.get(cause);
    if (t === undefined) {
      t = { pendingSince: null, clearSince: null, open: null, suppressedUntil: 0 };
      causes.set(cause, t);
      // In order of creation, as `openAlerts` (and so the grouping) lists them.
      this.tracks.set(`${equipment}\u0000${cause}`, t);
    }
    return t;
  }

  /** Alerts open now (open or acknowledged). */
  openAlerts(): OpenAlert[] {
    return [...this.tracks.values()].flatMap((t) => (t.open === null ? [] : [t.open]));
  }

  /** Restores an alert read back from the store (a restart keeps its alerts). */
  restore(alert: OpenAlert): void {
    this.track(alert.equipment, alert.cause).open = alert;
  }

  /** When a notification raised at `at` under `policy` goes out: at once, or at the end of quiet hours. */
  notifyAt(at: number, tier: AlertTier, policy: AlertPolicy): number {
    if (policy.quiet_hours === null || tier === 'work_order') return at;
    const q = parseQuietHours(policy.quiet_hours);
    const m = localMinute(at, this.fmt);
    const inside = q.from < q.to ? m >= q.from && m < q.to : m >= q.from || m < q.to;
    if (!inside) return at;
    const wait = (q.to - m + 1440) % 1440;
    // To the start of the minute quiet hours end (seconds dropped).
    return at - (at % 60e6) + wait * 60e6;
  }

  /** A person resolved or suppressed an alert: it closes; `until` keeps the cause quiet that long. */
  close(equipment: string, cause: AlertCause, until = 0): void {
    const t = this.track(equipment, cause);
    t.open = null;
    t.pendingSince = null;
    t.clearSince = null;
    t.suppressedUntil = until;
  }

  /** The equipment was maintained (or failed and was repaired): its open alerts resolve. */
  maintained(equipment: string): AlertChange[] {
    const out: AlertChange[] = [];
    for (const cause of ['failure_risk', 'rul_before_batch_end', 'anomaly'] as const) {
      const t = this.track(equipment, cause);
      if (t.open !== null) out.push({ kind: 'resolved', alert: t.open, by: 'maintenance' });
      t.open = null;
      t.pendingSince = null;
      t.clearSince = null;
    }
    return out;
  }

  observe(at: number, equipment: string, line: string, conditions: readonly Condition[]): AlertChange[] {
    const policy = this.policyOf(equipment);
    const out: AlertChange[] = [];
    for (const c of conditions) {
      if (!policy.causes.includes(c.cause)) continue;
      const t = this.track(equipment, c.cause);
      const a = t.open;
      if (a === null) {
        if (!c.active || at < t.suppressedUntil) {
          t.pendingSince = null;
          continue;
        }
        t.pendingSince ??= at;
        const hold = c.cause === 'anomaly' ? policy.anomaly_hold_minutes : policy.hold_minutes;
        if (at - t.pendingSince < hold * 60e6) continue;
        const group =
          policy.group_by_line &&
          this.openAlerts().find((o) => o.cause === c.cause && o.line === line && o.equipment !== equipment);
        const id = this.newId();
        const alert: OpenAlert = {
          id,
          equipment,
          line,
          cause: c.cause,
          opened_at: at,
          group_id: group ? group.group_id : id,
          state: 'open',
          tier: c.tier,
          top_tier: c.tier,
          value: c.value,
          reason: c.reason,
        };
        t.open = alert;
        t.pendingSince = null;
        t.clearSince = null;
        // A group already told is not told again below the work-order tier.
        const told = group && c.tier !== 'work_order';
        out.push({ kind: 'opened', alert, notifyAt: told ? null : this.notifyAt(at, c.tier, policy) });
        continue;
      }
      if (c.clear) {
        t.clearSince ??= at;
        if (at - t.clearSince >= policy.clear_minutes * 60e6) {
          out.push({ kind: 'resolved', alert: a, by: 'risk_fell' });
          t.open = null;
          t.clearSince = null;
        }
        continue;
      }
      t.clearSince = null;
      a.value = c.value;
      a.reason = c.reason;
      const rose = TIER_RANK[c.tier] < TIER_RANK[a.top_tier];
      a.tier = c.tier;
      if (rose && c.active) {
        a.top_tier = c.tier;
        out.push({ kind: 'escalated', alert: a, notifyAt: this.notifyAt(at, c.tier, policy) });
      }
    }
    return out;
  }
}
