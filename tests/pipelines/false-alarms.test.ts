import { describe, expect, it } from 'vitest';
import { failureWithin } from '../../features/index.ts';
import { autoWorkOrderAt, DEFAULT_ALERT_POLICY, failureRiskCondition } from '../../pipelines/alert-policy.ts';
import type { AlertPolicy } from '../../pipelines/alert-policy.ts';
import {
  conditionSeries,
  prepareReplay,
  replayConditions,
  replayInstants,
} from '../../pipelines/alert-replay.ts';
import type { ConditionAt } from '../../pipelines/alert-replay.ts';
import { thresholdForBudget, workOrderLevelForBudget } from '../../pipelines/failure-kind.ts';
import type { Evidence } from '../../pipelines/harness.ts';
import { Rng } from '../../src/sim/rng.ts';
import { referenceReplay } from './reference-replay.ts';

const H = 24 * 3.6e9;
const EVERY = 600;
const DAY = 86_400e6;

/** One equipment, an instant every 10 min over `days`, failures at the given instants (µs). */
function evidence(days: number, failureAt: number[]): { ev: Evidence; rows: number[]; label: Float64Array } {
  const n = (days * DAY) / (EVERY * 1e6);
  const ts = Float64Array.from({ length: n }, (_, i) => i * EVERY * 1e6);
  const equipment = Array.from({ length: n }, () => 'm1');
  const failures = failureAt.map((t) => ({ equipment: 'm1', ts: t, mode: 'bearing' }));
  const ev: Evidence = { ts, equipment, columns: [], names: [], failures, observedUntil: days * DAY };
  const label = failureWithin(ts, equipment, failures, H, days * DAY);
  const rows = Array.from({ length: n }, (_, i) => i).filter((i) => label[i] === label[i]);
  return { ev, rows, label: Float64Array.from(rows, (i) => label[i] as number) };
}

const between = (ev: Evidence, rows: number[], from: number, to: number) => (j: number) => {
  const t = ev.ts[rows[j] as number] as number;
  return t >= from && t < to;
};

/** False alerts of the default policy when the failure-risk condition is active where `alert` holds. */
function falseAlerts(ev: Evidence, rows: number[], alert: (j: number) => boolean): number {
  const series = new Map<string, ConditionAt[]>([
    [
      'm1',
      rows.map((i, j) => ({
        ts: ev.ts[i] as number,
        condition: {
          cause: 'failure_risk',
          active: alert(j),
          clear: !alert(j),
          tier: 'notify',
          value: alert(j) ? 1 : 0,
          reason: '',
        },
      })),
    ],
  ]);
  return replayConditions(series, ev.failures, {
    horizonHours: 24,
    policyOf: () => DEFAULT_ALERT_POLICY,
    lineOf: () => '',
  }).policy.false_alerts;
}

describe('false alerts, as the budget counts them', () => {
  const failure = 3 * DAY;

  it('counts an alert that starts before the horizon and runs into it as a warning, not a false alarm', () => {
    const { ev, rows } = evidence(5, [failure]);
    // Raised 36 h before the failure: its first 12 h are outside the 24 h horizon.
    const early = between(ev, rows, failure - 36 * 3.6e9, failure);
    expect(falseAlerts(ev, rows, early)).toBe(0);
  });

  it('counts an alert that no failure follows within the horizon', () => {
    const { ev, rows } = evidence(5, [failure]);
    const spurious = between(ev, rows, 0.5 * DAY, 0.5 * DAY + 2 * 3.6e9);
    expect(falseAlerts(ev, rows, spurious)).toBe(1);
    // The same with the warning beside it: still one.
    const both = (j: number) => spurious(j) || between(ev, rows, failure - 36 * 3.6e9, failure)(j);
    expect(falseAlerts(ev, rows, both)).toBe(1);
    // An alert that clears 30 h before the failure (resolving two hours later) warned of nothing.
    const cleared = between(ev, rows, failure - 40 * 3.6e9, failure - 30 * 3.6e9);
    expect(falseAlerts(ev, rows, cleared)).toBe(1);
  });

  it('lets the budget threshold alert early before a failure', () => {
    const { ev, rows } = evidence(5, [failure]);
    // A score that rises 36 h before the failure, with a 2-hour blip to 0.3 on the first day.
    const p = Float64Array.from(rows, (i) => {
      const t = ev.ts[i] as number;
      if (t >= failure - 36 * 3.6e9 && t < failure)
        return 0.6 + (t - (failure - 36 * 3.6e9)) / (36 * 3.6e9) / 4;
      return t >= 0.5 * DAY && t < 0.5 * DAY + 2 * 3.6e9 ? 0.3 : 0.1;
    });
    // The rise's first 12 h carry label 0: counted as a false alarm, they pushed the threshold up to
    // where the horizon starts (0.68); the blip is the budget's one false alarm.
    const t = thresholdForBudget(ev, rows, p, 0.01, { cut: 5 * DAY, horizonHours: 24 });
    expect(t).toBe(0.6);
  });

  it('counts the alerts the policy would raise, not every flicker of the score', () => {
    // A month with no failure: a day where the score flickers between 0.8 and 0.6 from one instant
    // to the next (one alert under hysteresis: it clears only below 0.7 of its raise level), and
    // three separate half-days at 0.3.
    const { ev, rows } = evidence(31, []);
    const p = Float64Array.from(rows, (i) => {
      const t = ev.ts[i] as number;
      if (t >= 2 * DAY && t < 3 * DAY) return i % 2 === 0 ? 0.8 : 0.6;
      return [10, 17, 24].some((d) => t >= d * DAY && t < (d + 0.5) * DAY) ? 0.3 : 0.05;
    });
    // One false alert per equipment-month allowed: the flickering day is one alert at 0.8 as at
    // 0.6 (counted as raw episodes, 0.8 made 72 and the walk down stopped there with no threshold);
    // at 0.3 there are four.
    const t = thresholdForBudget(ev, rows, p, 1.1, { cut: 31 * DAY, horizonHours: 24 });
    expect(t).toBe(0.6);
  });

  it('chooses the work-order level for its own budget, never below halfway from the raise level', () => {
    // A month with no failure, alerts raised at 0.3: three half-days at 0.7 and one at 0.9. Halfway
    // (0.65) opens four false work orders; one per equipment-month allowed: only the 0.9 one.
    const { ev, rows } = evidence(31, []);
    const p = Float64Array.from(rows, (i) => {
      const t = ev.ts[i] as number;
      if ([5, 12, 19].some((d) => t >= d * DAY && t < (d + 0.5) * DAY)) return 0.7;
      return t >= 26 * DAY && t < 26.5 * DAY ? 0.9 : 0.05;
    });
    const o = { cut: 31 * DAY, horizonHours: 24 };
    expect(workOrderLevelForBudget(ev, rows, p, 0.3, 1.1, o)).toBe(0.9);
    // A budget that halfway keeps within: the default tier stands (null).
    expect(workOrderLevelForBudget(ev, rows, p, 0.3, 5, o)).toBeNull();
    // The condition: the tier starts at the higher of the two.
    expect(autoWorkOrderAt(0.3, 0.9)).toBe(0.9);
    expect(autoWorkOrderAt(0.3, 0.5)).toBeCloseTo(0.65, 12);
    expect(autoWorkOrderAt(0.3, null)).toBeCloseTo(0.65, 12);
    expect(failureRiskCondition(DEFAULT_ALERT_POLICY, 0.7, 0.3, true, 24, 0.9).tier).toBe('notify');
    expect(failureRiskCondition(DEFAULT_ALERT_POLICY, 0.7, 0.3, true, 24, null).tier).toBe('work_order');
  });
});

/**
 * The candidate-level walks replay the same instants under hundreds of levels, prepared once
 * (`prepareReplay`): every run must equal the replay as first written (tests/pipelines/
 * reference-replay.ts) of a series built afresh, whatever ran before.
 */
describe('a prepared replay', () => {
  /** Three machines on two lines, instants every 10 min in shuffled order, failures and maintenance. */
  function plant(seed: number) {
    const rng = new Rng(seed, 'prepared-replay');
    const ts: number[] = [];
    const equipment: string[] = [];
    const p: number[] = [];
    for (const eq of ['m1', 'm2', 'm3']) {
      let risk = 0;
      for (let k = 0; k < 6 * 144; k++) {
        // A risk that wanders, with spikes: alerts open, escalate, hold in the band and clear.
        risk = Math.min(1, Math.max(0, risk + 0.08 * rng.normal()));
        ts.push(k * EVERY * 1e6 + (eq === 'm2' ? 1e6 : 0));
        equipment.push(eq);
        p.push(rng.chance(0.02) ? rng.uniform(0.5, 1) : risk);
      }
    }
    const order = ts.map((_, i) => i);
    for (let i = order.length - 1; i > 0; i--) {
      const k = rng.int(0, i);
      [order[i], order[k]] = [order[k] as number, order[i] as number];
    }
    const failures = Array.from({ length: 4 }, () => ({
      equipment: `m${rng.int(1, 3)}`,
      ts: rng.uniform(0, 6 * DAY),
      mode: 'bearing',
    }));
    const maintenance = new Map(
      ['m1', 'm3'].map((eq) => [eq, [rng.uniform(0, 3 * DAY), rng.uniform(3 * DAY, 6 * DAY)]]),
    );
    const ev: Evidence = {
      ts: Float64Array.from(ts),
      equipment,
      columns: [],
      names: [],
      failures,
      observedUntil: 6 * DAY,
    };
    return { ev, rows: order, p: Float64Array.from(order, (i) => p[i] as number), maintenance, rng };
  }

  const policies: [string, AlertPolicy][] = [
    ['the default policy', DEFAULT_ALERT_POLICY],
    [
      'a hold, quiet hours, no grouping',
      {
        ...DEFAULT_ALERT_POLICY,
        hold_minutes: 30,
        clear_minutes: 40,
        quiet_hours: '22:00-06:00',
        group_by_line: false,
      },
    ],
  ];

  for (const [name, policy] of policies)
    it(`runs as a fresh replay, level after level: ${name}`, () => {
      for (const seed of [1, 2, 3]) {
        const { ev, rows, p, maintenance, rng } = plant(seed);
        const o = {
          horizonHours: 24,
          policyOf: () => policy,
          lineOf: (eq: string) => (eq === 'm2' ? 'L2' : 'L1'),
          timeZone: 'Europe/Berlin',
          maintenance,
        };
        const prepared = prepareReplay(replayInstants(ev, rows), ev.failures, o);
        for (let k = 0; k < 8; k++) {
          const level = rng.uniform(0.05, 0.95);
          const top = rng.chance(0.5) ? rng.uniform(level, 1) : undefined;
          const at = (eq: string, j: number) =>
            failureRiskCondition(policy, p[j] as number, level, true, 24, top);
          const reference = referenceReplay(conditionSeries(ev, rows, at), ev.failures, o);
          expect(prepared.run(at)).toEqual(reference);
          expect(replayConditions(conditionSeries(ev, rows, at), ev.failures, o)).toEqual(reference);
          expect(reference.policy.alerts).toBeGreaterThan(0);
        }
      }
    });
});
