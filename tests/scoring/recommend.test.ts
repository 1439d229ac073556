import { describe, expect, it } from 'vitest';
import type { DriftForecastRow } from '../../pipelines/index.ts';
import { recommend } from '../../src/scoring/scorer.ts';

const AT = Date.UTC(2026, 0, 1, 8) * 1000;
const failure = (p: number) => ({ horizon_h: 24, probability: p, model: 'f@v0001' });
const rul = (hours: number, low: number) => ({ hours, low, high: hours * 1.5, model: 'r@v0001' });
const drift = (o: Partial<DriftForecastRow>): DriftForecastRow => ({
  characteristic: 'diameter_mm',
  fit: 'linear',
  exponent: null,
  points: 8,
  running_hours_since_maintenance: 20,
  to_limit_running_h: null,
  to_limit_low_h: null,
  to_limit_high_h: null,
  limit: null,
  cpk_now: 2,
  cpk_at_horizon: 1.5,
  beyond_spec_at_horizon: false,
  horizon_running_h: 168,
  ...o,
});

describe('the recommended action', () => {
  it('holds a batch for inspection when quality is predicted out of spec', () => {
    const r = recommend(
      AT,
      failure(0.01),
      rul(100, 80),
      [drift({ to_limit_running_h: 0, limit: 'usl', cpk_now: 0.4 })],
      undefined,
    );
    expect(r.action).toBe('hold_for_inspection');
    expect(r.reason).toMatch(/diameter_mm predicted out of spec \(usl; Cpk now 0.4\)/);
  });

  it('finishes the batch first when it ends before the pessimistic RUL, else maintains now', () => {
    const mes = { batch_id: 'B-17', batch_end: AT + 2 * 3.6e9 };
    const after = recommend(AT, failure(0.7), rul(10, 6), [], mes);
    expect(after.action).toBe('maintain_after_batch');
    expect(after.reason).toMatch(/^finish batch B-17 \(ends in 2.0 h\), then maintain/);
    expect(after.before).toBe('2026-01-01T14:00:00.000000Z');
    const now = recommend(AT, failure(0.7), rul(3, 1), [], mes, [
      { mode: 'bearing', horizon_h: 24, probability: 0.64, model: 'b@v0001' },
      { mode: 'seal_wear', horizon_h: 24, probability: 0.05, model: 's@v0001' },
    ]);
    expect(now.action).toBe('maintain_now');
    expect(now.reason).toMatch(/most likely bearing \(0.64\)$/);
  });

  it('plans maintenance on rising risk or drift, and says no action when the risk is low', () => {
    expect(recommend(AT, failure(0.3), rul(100, 60), [], undefined).action).toBe('plan_maintenance');
    expect(recommend(AT, failure(0.05), rul(30, 20), [], undefined).action).toBe('plan_maintenance');
    const d = recommend(
      AT,
      failure(0.05),
      rul(150, 100),
      [drift({ to_limit_running_h: 30, to_limit_low_h: 12, limit: 'usl' })],
      undefined,
    );
    expect(d.action).toBe('plan_maintenance');
    expect(d.reason).toMatch(/diameter_mm may reach its usl in 12 h of running/);
    const none = recommend(AT, failure(0.05), rul(150, 100), [drift({})], undefined);
    expect(none).toEqual({
      action: 'none',
      reason: 'risk low: failure probability 0.05, RUL at least 100 h',
      before: null,
    });
  });
});
