/** Failure modes as the fleet table names them. */
import type { Forecast } from './api.ts';
import { pct } from './format.ts';
import { html } from './html.ts';
import type { Html } from './html.ts';

/**
 * The failure mode most likely to be the one, when the per-mode models say so: none at all when
 * every mode is near 0 (was "bearing 0.0 %"), and "not one of the modelled modes" when the
 * overall risk is mostly outside them (the dominant cause has no model of its own).
 */
export function likelyMode(f: Forecast | undefined): Html | string {
  const top = Object.entries(f?.by_mode ?? {}).sort((a, b) => b[1] - a[1])[0];
  if (top === undefined) return html`<span class="muted">—</span>`;
  if (top[1] < 0.01) return html`<span class="muted">no dominant mode</span>`;
  const overall = f?.probability;
  if (typeof overall === 'number' && Number.isFinite(overall) && top[1] < 0.5 * overall)
    return html`<span class="muted" title="${top[0]} ${pct(top[1])} of ${pct(overall)} overall"
      >mostly an unmodelled mode (${top[0]} ${pct(top[1])})</span
    >`;
  return `${top[0]} ${pct(top[1])}`;
}

/**
 * What a Weibull shape says about the failure pattern, only as far as its 95 % interval supports:
 * wear-out when the whole interval is above 1, early failures when below, else undecided.
 */
export function weibullPattern(shape: number, ci: readonly [number, number]): string {
  if (ci[0] > 1) return `wear-out: β > 1 (95 % interval ${ci[0].toFixed(2)}–${ci[1].toFixed(2)})`;
  if (ci[1] < 1) return `early failures: β < 1 (95 % interval ${ci[0].toFixed(2)}–${ci[1].toFixed(2)})`;
  return `not decided: the 95 % interval of β (${ci[0].toFixed(2)}–${ci[1].toFixed(2)}) includes 1 (random failures); β = ${shape.toFixed(2)} needs more failures to tell`;
}

/** Walk-forward figures as people read them (the registry's keys are for machines). */
const METRIC_LABELS: Record<string, string> = {
  roc_auc: 'ROC-AUC',
  pr_auc: 'PR-AUC',
  brier: 'Brier',
  base_rate_brier: 'Brier of climatology',
  brier_skill: 'Brier skill',
  ece: 'calibration error (ECE)',
  baseline_roc_auc: 'ROC-AUC of the one-sensor rule',
  baseline_brier: 'Brier of the one-sensor rule',
  persistence_roc_auc: 'ROC-AUC of persistence',
  lead_time_median_h: 'median lead (h)',
  false_alarms_per_equipment_month: 'false alarms per equipment-month',
  failures_warned: 'failures warned',
  failures: 'failures tested',
  rmse_h: 'RMSE (h)',
  mae_h: 'MAE (h)',
  baseline_rmse_h: 'RMSE of mean life (h)',
  weibull_baseline_rmse_h: 'RMSE of the Weibull (h)',
  interval_coverage: '10–90 % interval coverage',
};

/** A version's walk-forward figures in one line, labelled; "no walk-forward figures" when none is a number. */
export function metricSummary(metrics: Readonly<Record<string, number | null>>): string {
  const parts = Object.entries(metrics)
    .filter(([k, v]) => k.startsWith('backtest_') && typeof v === 'number' && Number.isFinite(v))
    .map(([k, v]) => {
      const key = k.slice('backtest_'.length);
      const x = v as number;
      return `${METRIC_LABELS[key] ?? key.replaceAll('_', ' ')} ${Number.isInteger(x) ? x : x.toFixed(3)}`;
    });
  return parts.length === 0 ? 'no walk-forward figures' : parts.join(' · ');
}
