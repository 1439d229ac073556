/**
 * RUL training targets that keep the censored instants. An instant whose equipment had not failed
 * by the end of observation, less than the cap later, has no known RUL; dropping those instants
 * (the plain `remainingLife` labels) keeps only the run-ups to observed failures and teaches the
 * forest that every machine is about to fail. Here such an instant gets the expected capped RUL
 * given what is known: it survived `c` more hours at age `a`, so under a Weibull fitted to the
 * history's lives (censored ones included) its target is
 *   E[min(T - a, cap) | T > a + c] = c + integral from c to cap of S(a + s) / S(a + c) ds.
 * Age is the `hours_since_maintenance` feature, the clock that any maintenance resets; a life ends
 * in a failure or is censored by a maintenance (or the end of observation). Everything here stops
 * at `observedUntil` (exclusive): instants, ages and failures at or after it are not looked at, so
 * a walk-forward fold that passes its cut gets targets that nothing after the cut can change.
 */
import { remainingLife } from '../features/index.ts';
import type { FailureEvent } from '../features/index.ts';
import { expectedCappedRul, fitWeibull } from '../models/index.ts';

export { expectedCappedRul };
import type { WeibullFit } from '../models/index.ts';

export interface RulTargets {
  /** Capped RUL hours per instant: known, imputed (censored) or NaN (no age, or too few failures). */
  readonly target: Float64Array;
  /** Instants whose target was imputed. */
  readonly imputed: number;
  readonly weibull: WeibullFit | null;
}

/**
 * Lives on the age clock from the instants themselves: a run of instants of one equipment whose
 * age keeps growing is one life; it failed if a failure falls after its last instant and before
 * the next run begins (the repair resets the age), else it is censored at its last age.
 */
export function livesFromAges(
  ts: Float64Array,
  equipment: readonly string[],
  age: Float64Array,
  failures: readonly FailureEvent[],
  observedUntil: number,
): { hours: number[]; failed: number[] } {
  const byEq = new Map<string, number[]>();
  for (let i = 0; i < ts.length; i++) {
    // Only what was observed: instants (and so ages) and failures before observedUntil.
    if (!((age[i] as number) >= 0) || !((ts[i] as number) < observedUntil)) continue;
    const list = byEq.get(equipment[i] as string);
    if (list) list.push(i);
    else byEq.set(equipment[i] as string, [i]);
  }
  const hours: number[] = [];
  const failed: number[] = [];
  for (const [eq, rows] of byEq) {
    rows.sort((a, b) => (ts[a] as number) - (ts[b] as number));
    const fails = failures
      .filter((f) => f.equipment === eq && f.ts < observedUntil)
      .map((f) => f.ts)
      .sort((a, b) => a - b);
    for (let j = 0; j < rows.length; j++) {
      const i = rows[j] as number;
      const next = rows[j + 1];
      if (next !== undefined && (age[next] as number) >= (age[i] as number)) continue; // same life
      const t = ts[i] as number;
      const until = next === undefined ? observedUntil : (ts[next] as number);
      const f = fails.find((x) => x > t && x <= until);
      if (f !== undefined) {
        hours.push((age[i] as number) + (f - t) / 3.6e9);
        failed.push(1);
      } else {
        hours.push((age[i] as number) + (next === undefined ? (observedUntil - t) / 3.6e9 : 0));
        failed.push(0);
      }
    }
  }
  return { hours, failed };
}

export function rulTargets(
  ts: Float64Array,
  equipment: readonly string[],
  failures: readonly FailureEvent[],
  observedUntil: number,
  cap: number,
  age: Float64Array | undefined,
): RulTargets {
  const target = remainingLife(ts, equipment, failures, observedUntil, cap);
  if (age === undefined) return { target, imputed: 0, weibull: null };
  const lives = livesFromAges(ts, equipment, age, failures, observedUntil);
  let weibull: WeibullFit;
  try {
    weibull = fitWeibull(lives);
  } catch {
    return { target, imputed: 0, weibull: null }; // fewer than two failures: nothing to impute from
  }
  let imputed = 0;
  for (let i = 0; i < ts.length; i++) {
    const a = age[i] as number;
    if (target[i] === target[i] || !(a >= 0) || !((ts[i] as number) < observedUntil)) continue;
    target[i] = expectedCappedRul(weibull, a, (observedUntil - (ts[i] as number)) / 3.6e9, cap);
    imputed++;
  }
  return { target, imputed, weibull };
}
