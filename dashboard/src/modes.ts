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
