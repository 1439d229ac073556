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
