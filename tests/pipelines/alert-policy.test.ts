/**
 * The alert policy's fatigue controls, one at a time, on observation sequences built for each:
 * hysteresis, hold times, one alert per equipment and cause, tiers, grouping across a line, quiet
 * hours, resolution by maintenance, suppression; then the backtest's judge of alerts.
 */
import { describe, expect, it } from 'vitest';
import {
  AlertTracker,
  anomalyCondition,
  DEFAULT_ALERT_POLICY,
  failureRiskCondition,
} from '../../pipelines/alert-policy.ts';
import type { AlertChange, AlertPolicy } from '../../pipelines/alert-policy.ts';
import { judgeAlerts, replayConditions } from '../../pipelines/backtest-alerts.ts';
import { maintenanceSeen } from '../../pipelines/harness.ts';
import type { Evidence } from '../../pipelines/harness.ts';
import { validatePlant } from '../../src/plant/index.ts';

const MIN = 60e6;
const T0 = Date.UTC(2026, 0, 5, 12) * 1000; // a Monday, 12:00 UTC, in µs

const policy = (o: Partial<AlertPolicy> = {}): AlertPolicy => ({
  ...DEFAULT_ALERT_POLICY,
  hold_minutes: 0,
  anomaly_hold_minutes: 0,
  clear_minutes: 0,
  ...o,
});

/** Feeds probabilities at 10-minute steps to one equipment; returns every change with its step. */
function run(
  tracker: AlertTracker,
  ps: readonly number[],
  o: { equipment?: string; line?: string; threshold?: number; model?: boolean; from?: number } = {},
  p: AlertPolicy = policy(),
) {
  const out: { step: number; change: AlertChange }[] = [];
  ps.forEach((v, step) => {
    const c = failureRiskCondition(p, v, o.threshold ?? 0.4, o.model ?? true, 24);
    for (const change of tracker.observe(
      (o.from ?? T0) + step * 10 * MIN,
      o.equipment ?? 'm1',
      o.line ?? 'L1',
      [c],
    ))
      out.push({ step, change });
  });
  return out;
}

const kinds = (xs: { step: number; change: AlertChange }[]) => xs.map((x) => `${x.step}:${x.change.kind}`);

describe('the alert policy', () => {
  it('the anomaly cause: raises at the alarm level of health, clears with hysteresis, notifies only, and maintenance resolves it', () => {
    const p = policy({ clear_ratio: 0.5 });
    const t = new AlertTracker(() => p);
    // Alarm at health <= 0.4 (departure 0.6); clears once the departure is below 0.3 (health > 0.7).
    const health = [0.9, 0.35, 0.5, 0.65, 0.3, 0.75];
    const changes: { step: number; change: AlertChange }[] = [];
    health.forEach((h, step) => {
      const c = anomalyCondition(p, h, 0.4, 'vibration_rms departs most');
      expect(c.tier).toBe('notify'); // a model that never saw a failure opens no work order
      for (const change of t.observe(T0 + step * 10 * MIN, 'm1', 'L1', [c])) changes.push({ step, change });
    });
    expect(kinds(changes)).toEqual(['1:opened', '5:resolved']);
    // The open alert carries its latest reading (0.30 at step 4), and the sensor behind it.
    expect(changes[0]!.change.alert.reason).toMatch(/health index 0\.30 \(alarm at 0\.40.*vibration_rms/);
    t.observe(T0 + 60 * MIN, 'm1', 'L1', [anomalyCondition(p, 0.2, 0.4, undefined)]);
    expect(t.maintained('m1').map((c) => [c.kind, c.alert.cause])).toEqual([['resolved', 'anomaly']]);
  });

  it('the anomaly cause holds anomaly_hold_minutes before it raises (30 by default); the failure cause its own hold_minutes', () => {
    expect(DEFAULT_ALERT_POLICY.anomaly_hold_minutes).toBe(30);
    const p = { ...DEFAULT_ALERT_POLICY, clear_minutes: 0 };
    const t = new AlertTracker(() => p);
    // A 20-minute departure (a recipe change settling) raises no anomaly alert; a failure
    // probability over its threshold for the same 20 minutes does, at once (hold_minutes 0).
    const at = (step: number) => T0 + step * 10 * MIN;
    const seen: string[] = [];
    [0.9, 0.3, 0.3, 0.3, 0.9, 0.3, 0.3, 0.3, 0.3, 0.3].forEach((h, step) => {
      const conds = [anomalyCondition(p, h, 0.4, undefined), failureRiskCondition(p, 1 - h, 0.5, true, 24)];
      for (const c of t.observe(at(step), 'm1', 'L1', conds))
        if (c.kind === 'opened') seen.push(`${step}:${c.alert.cause}`);
    });
    // The anomaly held from step 5: raised at step 8, 30 minutes on.
    expect(seen).toEqual(['1:failure_risk', '5:failure_risk', '8:anomaly']);
  });

  it('raises at the threshold and clears only below clear_ratio of it (hysteresis)', () => {
    const p = policy({ clear_ratio: 0.5 });
    const t = new AlertTracker(() => p);
    // 0.4 raises; 0.3 and 0.21 sit in the band [0.2, 0.4): still open; 0.19 clears.
    expect(kinds(run(t, [0.1, 0.45, 0.3, 0.21, 0.35, 0.19], {}, p))).toEqual(['1:opened', '5:resolved']);
    // Without hysteresis the same sequence opens twice.
    const q = policy({ clear_ratio: 1 });
    const u = new AlertTracker(() => q);
    expect(kinds(run(u, [0.1, 0.45, 0.3, 0.21, 0.45, 0.19], {}, q))).toEqual([
      '1:opened',
      '2:resolved',
      '4:opened',
      '5:resolved',
    ]);
  });

  it('needs a condition to hold hold_minutes before raising, and clear_minutes before resolving', () => {
    const p = policy({ hold_minutes: 20, clear_minutes: 30 });
    const t = new AlertTracker(() => p);
    // A 10-minute spike raises nothing; 20 minutes above does (at the third step above).
    const changes = run(t, [0.5, 0.1, 0.5, 0.5, 0.5, 0.1, 0.1, 0.5, 0.1, 0.1, 0.1, 0.1], {}, p);
    // Clear at 5, 6 (20 min), back up at 7 (not resolved); clear from 8: resolved at 11 (30 min).
    expect(kinds(changes)).toEqual(['4:opened', '11:resolved']);
  });

  it('keeps one alert per equipment and cause, updated (not duplicated) while it lasts', () => {
    const t = new AlertTracker(() => policy());
    const changes = run(t, [0.5, 0.55, 0.6, 0.5, 0.52]);
    expect(kinds(changes)).toEqual(['0:opened']);
    expect(t.openAlerts()).toHaveLength(1);
    expect(t.openAlerts()[0]!.value).toBe(0.52);
    // Another equipment gets its own.
    run(t, [0.5], { equipment: 'm2', line: 'L2' });
    expect(
      t
        .openAlerts()
        .map((a) => a.equipment)
        .sort(),
    ).toEqual(['m1', 'm2']);
  });

  it('opens a work order only at the top tier, only for a served model, and escalates once', () => {
    const t = new AlertTracker(() => policy());
    // threshold 0.4: work order from 0.7 (auto: halfway to 1).
    const first = run(t, [0.5]);
    expect(kinds(first)).toEqual(['0:opened']);
    expect(first[0]!.change.alert.tier).toBe('notify');
    const later = run(t, [0.75, 0.8, 0.6, 0.9], { from: T0 + 10 * MIN });
    expect(kinds(later)).toEqual(['0:escalated']);
    expect(t.openAlerts()[0]!.top_tier).toBe('work_order');
    // A baseline answering never opens one, however high.
    const b = new AlertTracker(() => policy());
    const base = run(b, [0.95, 0.99], { model: false });
    expect(kinds(base)).toEqual(['0:opened']);
    expect(b.openAlerts()[0]!.top_tier).toBe('notify');
  });

  it('groups the same cause across a line: the group is notified once, each machine keeps its alert', () => {
    const t = new AlertTracker(() => policy());
    const a = run(t, [0.5], { equipment: 'm1', line: 'L1' });
    const b = run(t, [0.5], { equipment: 'm2', line: 'L1' });
    const c = run(t, [0.5], { equipment: 'm3', line: 'L2' });
    const opened = [a, b, c].map((x) => x[0]!.change as Extract<AlertChange, { kind: 'opened' }>);
    expect(opened.map((o) => o.alert.group_id)).toEqual([
      opened[0]!.alert.id,
      opened[0]!.alert.id,
      opened[2]!.alert.id,
    ]);
    expect(opened.map((o) => o.notifyAt !== null)).toEqual([true, false, true]);
    // Not grouped when the policy says so.
    const u = new AlertTracker(() => policy({ group_by_line: false }));
    run(u, [0.5], { equipment: 'm1' });
    const d = run(u, [0.5], { equipment: 'm2' })[0]!.change as Extract<AlertChange, { kind: 'opened' }>;
    expect(d.notifyAt).not.toBeNull();
    expect(d.alert.group_id).toBe(d.alert.id);
  });

  it('holds notifications raised in quiet hours (local time) to their end; work orders go at once', () => {
    const p = policy({ quiet_hours: '22:00-06:00' });
    const t = new AlertTracker(() => p, 'Europe/Berlin');
    // 23:30 UTC on a January night is 00:30 in Berlin: held to 06:00 Berlin = 05:00 UTC.
    const night = Date.UTC(2026, 0, 5, 23, 30) * 1000;
    const o = run(t, [0.5], { from: night }, p)[0]!.change as Extract<AlertChange, { kind: 'opened' }>;
    expect(new Date(o.notifyAt! / 1000).toISOString()).toBe('2026-01-06T05:00:00.000Z');
    const w = run(t, [0.9], { from: night, equipment: 'm9', line: 'L9' }, p)[0]!.change as Extract<
      AlertChange,
      { kind: 'opened' }
    >;
    expect(w.alert.tier).toBe('work_order');
    expect(w.notifyAt).toBe(night);
    // 12:00 UTC is outside: at once.
    const day = run(t, [0.5], { equipment: 'm5', line: 'L5' }, p)[0]!.change as Extract<
      AlertChange,
      { kind: 'opened' }
    >;
    expect(day.notifyAt).toBe(T0);
  });

  it('resolves on maintenance, and a suppression keeps the cause quiet until it ends', () => {
    const t = new AlertTracker(() => policy());
    run(t, [0.5]);
    const m = t.maintained('m1');
    expect(m.map((c) => c.kind === 'resolved' && c.by)).toEqual(['maintenance']);
    expect(t.openAlerts()).toEqual([]);
    // Suppressed for an hour: still high, nothing opens; after the hour it opens again.
    t.close('m1', 'failure_risk', T0 + 60 * MIN);
    expect(kinds(run(t, [0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5]))).toEqual(['6:opened']);
  });

  it('reads the policy from the plant file: plant-wide, per class over it, every mistake by its path', () => {
    const base = {
      name: 'p',
      classes: {
        press: { sensors: [{ name: 'force', unit: 'kN', range: [0, 9] }] },
        pump: {
          sensors: [{ name: 'flow', unit: 'm3/h', range: [0, 9] }],
          alerts: { hold_minutes: 5, quiet_hours: '22:00-06:00' },
        },
      },
      equipment: [{ id: 'e1', class: 'press', site: 's', line: 'l' }],
      alerts: { clear_ratio: 0.5, raise_at: 0.3 },
    };
    const plant = validatePlant(base);
    expect(plant.classes.press!.alerts).toEqual({ ...DEFAULT_ALERT_POLICY, clear_ratio: 0.5, raise_at: 0.3 });
    expect(plant.classes.pump!.alerts).toEqual({
      ...DEFAULT_ALERT_POLICY,
      clear_ratio: 0.5,
      raise_at: 0.3,
      hold_minutes: 5,
      quiet_hours: '22:00-06:00',
    });
    // Applied plants are stored as JSON and read back: the policy survives the round trip.
    expect(validatePlant(JSON.parse(JSON.stringify(plant)))).toEqual(plant);
    let problems = '';
    try {
      validatePlant({
        ...base,
        alerts: { raise_at: 2, quiet_hours: '25:00-6', causes: ['failure_risk', 'rain'], snooze: 1 },
      });
    } catch (err) {
      problems = (err as Error).message;
    }
    expect(problems).toMatch(/alerts\.snooze: unknown field/);
    expect(problems).toMatch(/alerts\.raise_at: 2: expected a probability/);
    expect(problems).toMatch(/alerts\.quiet_hours: "25:00-6" is not HH:MM-HH:MM/);
    expect(problems).toMatch(/alerts\.causes\[1\]: "rain" is not one of/);
  });
});

describe("the alert backtest's judge", () => {
  const H = 24 * 3600e6;
  const h = (n: number) => T0 + n * 3600e6;
  it('counts true and false alerts, warned and missed failures, lead capped at the horizon', () => {
    const spans = new Map([
      ['m1', { from: h(0), to: h(200) }],
      ['m2', { from: h(0), to: h(200) }],
    ]);
    const failures = [
      { equipment: 'm1', ts: h(100), mode: 'bearing' }, // warned 30 h ahead: lead capped to 24
      { equipment: 'm2', ts: h(150), mode: 'bearing' }, // warned 6 h ahead
      { equipment: 'm2', ts: h(60), mode: 'thermal' }, // missed
    ];
    const iv = (equipment: string, opened: number, closed: number, topTier: 'work_order' | 'notify') => ({
      equipment,
      opened: h(opened),
      closed: h(closed),
      topTier,
      notified: 1,
    });
    const f = judgeAlerts(
      [
        iv('m1', 70, 100, 'work_order'), // true
        iv('m1', 10, 12, 'work_order'), // false (nothing within 24 h)
        iv('m2', 144, 150, 'notify'), // true
        iv('m2', 20, 22, 'notify'), // false: the failure at 60 is 38 h later
      ],
      failures,
      spans,
      H,
      2,
    );
    expect(f).toMatchObject({
      alerts: 4,
      false_alerts: 2,
      work_orders: 2,
      false_work_orders: 1,
      false_work_orders_per_equipment_month: 0.5,
      failures: 3,
      failures_warned: 2,
      failures_missed: 1,
      lead_time_h: { median: 24 },
    });
  });
});

describe('the alert replay', () => {
  const h = (n: number) => T0 + n * 3600e6;
  it('maintenanceSeen: where the history first shows each maintenance (in progress, or between two instants)', () => {
    // m1: in progress at 10-11 h (age 0), then counts from its end; m2: a short one between 20 h
    // and 21 h that no instant saw in progress (the age drops without passing 0).
    const ages1 = [5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 0, 0, 0.5, 1.5, 2.5];
    const ages2 = Array.from({ length: 25 }, (_, k) => (k <= 20 ? 30 + k : k - 20.5));
    const rows: { ts: number; eq: string; age: number }[] = [
      ...ages1.map((age, k) => ({ ts: h(k), eq: 'm1', age })),
      ...ages2.map((age, k) => ({ ts: h(k), eq: 'm2', age })),
    ];
    const ev: Evidence = {
      ts: Float64Array.from(rows, (r) => r.ts),
      equipment: rows.map((r) => r.eq),
      columns: [Float64Array.from(rows, (r) => r.age)],
      names: ['hours_since_maintenance'],
      failures: [],
      observedUntil: Infinity,
    };
    expect(maintenanceSeen(ev)).toEqual(
      new Map([
        ['m1', [h(10)]],
        ['m2', [h(21)]],
      ]),
    );
  });

  it('a maintenance resolves what is open, as live: the same departure after it is a new alert', () => {
    const p = { ...DEFAULT_ALERT_POLICY, anomaly_hold_minutes: 0, clear_minutes: 0 };
    // Health at the alarm level for 10 h on one machine, maintained at 5 h without effect.
    const series = new Map([
      [
        'm1',
        Array.from({ length: 11 }, (_, k) => ({
          ts: h(k),
          condition: anomalyCondition(p, 0.3, 0.4, undefined),
        })),
      ],
    ]);
    const o = { horizonHours: 24, policyOf: () => p, lineOf: () => 'L1' };
    const copy = () => new Map([...series].map(([k, v]) => [k, [...v]]));
    expect(replayConditions(copy(), [], o).policy.alerts).toBe(1);
    const r = replayConditions(copy(), [], { ...o, maintenance: new Map([['m1', [h(5) - 1]]]) });
    expect(r.policy.alerts).toBe(2);
    expect(r.raw_threshold.alerts).toBe(2);
  });
});
