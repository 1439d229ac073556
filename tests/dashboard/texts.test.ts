/** What the dashboard says in words: failure modes, the Weibull pattern, model figures (pure functions, run in Node). */
import { describe, expect, it } from 'vitest';
import { likelyMode, metricSummary, weibullPattern } from '../../dashboard/src/modes.ts';
import type { Forecast } from '../../dashboard/src/api.ts';

const text = (v: unknown) =>
  String(v)
    .replace(/<[^>]+>/g, '')
    .replace(/\s+/g, ' ')
    .trim();
const forecast = (probability: number, by_mode: Record<string, number>) =>
  ({ probability, by_mode }) as Forecast;

describe('the fleet table', () => {
  it('names the likely mode only when one dominates what the models see', () => {
    // Every mode near 0: no mode is named (it read "bearing 0.0 %").
    expect(text(likelyMode(forecast(0.002, { bearing: 0.0004, thermal: 0 })))).toBe('no dominant mode');
    // The overall risk mostly outside the modelled modes: said so (it read "seal_wear 14.1 %" beside 58.6 %).
    expect(text(likelyMode(forecast(0.586, { seal_wear: 0.141, bearing: 0.02 })))).toBe(
      'mostly an unmodelled mode (seal_wear 14.1 %)',
    );
    expect(text(likelyMode(forecast(0.3, { bearing: 0.25, thermal: 0.04 })))).toBe('bearing 25.0 %');
    expect(text(likelyMode(forecast(0.3, {})))).toBe('—');
  });

  it('claims a Weibull failure pattern only where the 95 % interval of its shape supports it', () => {
    // It read "wear-out (β > 1)" for β = 1.3 whose interval 0.8–2.1 includes 1.
    expect(weibullPattern(1.3, [0.8, 2.1])).toMatch(
      /^not decided: the 95 % interval of β \(0\.80–2\.10\) includes 1/,
    );
    expect(weibullPattern(2.4, [1.6, 3.5])).toMatch(/^wear-out: β > 1/);
    expect(weibullPattern(0.6, [0.4, 0.9])).toMatch(/^early failures: β < 1/);
  });

  it("labels a model's walk-forward figures for people, and says so when there are none", () => {
    // It printed the registry's keys: "base_rate_brier 0.122 · baseline_roc_auc ...".
    expect(metricSummary({ backtest_roc_auc: 0.874, backtest_base_rate_brier: 0.122, rows: 5 })).toBe(
      'ROC-AUC 0.874 · Brier of climatology 0.122',
    );
    // A model trained with null figures showed a blank cell.
    expect(metricSummary({ backtest_roc_auc: null, backtest_brier: null })).toBe('no walk-forward figures');
  });
});
