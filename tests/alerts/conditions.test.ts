/** What one score says to the alert policy about the anomaly cause, by which model answers the risk. */
import { describe, expect, it } from 'vitest';
import { DEFAULT_ALERT_POLICY } from '../../pipelines/alert-policy.ts';
import { conditionsOf } from '../../src/alerts/manager.ts';
import type { Score } from '../../src/scoring/scorer.ts';

const T = Date.UTC(2026, 5, 1) * 1000;

function score(risk: Score['answered_by']['risk'], health: number): Score {
  return {
    equipment: 'm1',
    at: new Date(T / 1000).toISOString(),
    status: 'ok',
    insufficient: null,
    readings: 100,
    readings_from_request: 0,
    mes: null,
    quality: [],
    quality_error: null,
    recommended_action: { action: 'none', reason: 'test', before: null },
    failure:
      risk === 'anomaly'
        ? null
        : { horizon_h: 24, probability: 0.01, model: 'p.failure-any-24h@v0001', alert_threshold: 0.4 },
    failure_by_horizon: [],
    failure_by_mode: [],
    rul: null,
    top_features: [],
    anomaly: {
      health,
      percentile: 1,
      alarm: health <= 0.4,
      alarm_health: 0.4,
      model: 'p.anomaly@v0001',
      drivers: [{ feature: 'vib__mean__1h', sensor: 'vib', z: 7.5, value: 4.2, expected: 2.1 }],
    },
    answered_by: { risk, reason: 'test' },
  };
}

describe('the anomaly cause', () => {
  it('raises while the anomaly model answers the risk, naming the departing sensor', () => {
    const c = conditionsOf(score('anomaly', 0.2), DEFAULT_ALERT_POLICY, T).find(
      (x) => x.cause === 'anomaly',
    )!;
    expect(c.active).toBe(true);
    expect(c.tier).toBe('notify');
    expect(c.reason).toMatch(
      /health index 0\.20 \(alarm at 0\.40.*vib departs most \(vib__mean__1h 4\.2 vs 2\.1 expected, 7\.5 spreads above\)/,
    );
  });

  it('stays quiet beside a failure model, which covers the risk (its own alerts are not buried)', () => {
    for (const risk of ['failure_model', 'failure_baseline'] as const) {
      const c = conditionsOf(score(risk, 0.2), DEFAULT_ALERT_POLICY, T).find((x) => x.cause === 'anomaly')!;
      expect(c.active).toBe(false);
      expect(c.clear).toBe(true);
    }
  });
});
