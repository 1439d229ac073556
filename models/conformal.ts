/**
 * Split-conformal intervals for a regression (RUL): residual bounds (truth - prediction) measured on
 * a calibration slice the model did not fit, and how a served answer is made from them.
 */

/** Nominal coverages whose intervals are kept and checked; 0.8 is the served 10-90 % interval. */
export const INTERVAL_LEVELS = [0.5, 0.8, 0.9] as const;

/** A conformal interval: truth - prediction lies in [low, high] with the nominal probability. */
export interface ResidualInterval {
  readonly level: number;
  readonly low: number;
  readonly high: number;
}

/** A calibration residual: known (truth - prediction), or censored (the truth is only known to exceed it). */
export interface Residual {
  readonly value: number;
  readonly known: boolean;
}

/**
 * Kaplan-Meier distribution function of residuals some of which are right-censored: the share of
 * residuals at or below each known value. Censored ones count as at risk until their bound.
 */
function kaplanMeierCdf(residuals: readonly Residual[]): { value: number; cdf: number }[] {
  // Ties: a known residual before a censored one at the same value (censored at v means > v).
  const r = residuals
    .filter((x) => x.value === x.value)
    .sort((a, b) => a.value - b.value || (a.known === b.known ? 0 : a.known ? -1 : 1));
  let atRisk = r.length;
  let survival = 1;
  const out: { value: number; cdf: number }[] = [];
  for (let i = 0; i < r.length;) {
    const v = (r[i] as Residual).value;
    let events = 0;
    let leaving = 0;
    while (i < r.length && (r[i] as Residual).value === v) {
      if ((r[i] as Residual).known) events++;
      leaving++;
      i++;
    }
    if (events > 0) {
      survival *= 1 - events / atRisk;
      out.push({ value: v, cdf: 1 - survival });
    }
    atRisk -= leaving;
  }
  return out;
}

/**
 * Split-conformal bounds from calibration residuals, censored ones included: the level's lower and
 * upper quantiles of the residuals' Kaplan-Meier distribution, the upper one at (n + 1)/n of its
 * nominal share (the finite-sample correction of split conformal). Without censoring this is the
 * usual split-conformal interval; with it, the long lives that the calibration slice saw begin but
 * not end still widen the interval (dropping them would keep only lives short enough to end there).
 * Where the distribution never reaches a level (heavy censoring: most calibration instants still
 * running), an upper bound is `maxResidual` when given (nothing smaller is supported by the data),
 * else the largest residual seen. Level 0 is the median: the served point is the prediction plus
 * it, so the point lies in its own interval.
 */
export function conformalIntervals(
  residuals: readonly (Residual | number)[],
  /** The largest residual possible (a capped RUL's: the cap): an upper bound the data cannot reach. */
  maxResidual?: number,
): ResidualInterval[] {
  const r = residuals.map((x) => (typeof x === 'number' ? { value: x, known: true } : x));
  const values = r
    .filter((x) => x.value === x.value)
    .map((x) => x.value)
    .sort((a, b) => a - b);
  const n = values.length;
  if (n < 10) return []; // fewer say nothing about a distribution
  const cdf = kaplanMeierCdf(r);
  const largest = values[n - 1] as number;
  // Where Kaplan-Meier cannot reach a level (too few known residuals): the empirical quantile of
  // every value, censored bounds included, for a lower bound (a censored value is below the truth,
  // so this errs low: wider, not narrower); the largest possible residual for an upper bound.
  const empirical = (u: number) => values[Math.min(n - 1, Math.max(0, Math.ceil(u * n) - 1))] as number;
  // Upper bound: the first residual whose share at or below reaches u; lower: the first past 1 - u
  // (its mirror, as the (n - k + 1)-th smallest mirrors the k-th).
  const upper = (u: number) => cdf.find((c) => c.cdf >= u - 1e-12)?.value ?? maxResidual ?? largest;
  const lower = (u: number) => cdf.find((c) => c.cdf > u + 1e-12)?.value ?? empirical(u);
  // A median Kaplan-Meier cannot reach is unknown: no correction of the point (an empirical
  // median of censored bounds would pull every prediction down to what machines had survived).
  const median = cdf.find((c) => c.cdf >= 0.5 - 1e-12)?.value ?? 0;
  // Nested, from the narrowest level up: a higher coverage is at least as wide. Under heavy
  // censoring one level's lower bound can come from Kaplan-Meier and the next one's from the
  // empirical fallback, which is not ordered with it; widening to the narrower level's bounds only
  // makes an interval more conservative.
  let low = Infinity;
  let high = -Infinity;
  return [
    { level: 0, low: median, high: median },
    ...INTERVAL_LEVELS.map((level) => {
      const hi = Math.min(1, (1 - (1 - level) / 2) * ((n + 1) / n));
      low = Math.min(low, lower(1 - hi));
      high = Math.max(high, upper(hi));
      return { level, low, high };
    }),
  ];
}

/** A prediction with its conformal point (plus the median residual; the prediction without bounds). */
export function conformalPoint(prediction: number, intervals: readonly ResidualInterval[]): number {
  const median = intervals.find((i) => i.level === 0);
  return median === undefined ? prediction : prediction + median.low;
}

/**
 * The served RUL from a raw prediction and its conformal residual bounds: the point is the
 * prediction plus the median residual, the 10-90 % interval the prediction plus the 10th and 90th
 * percentile ones (never pinned to the point), all within [0, cap]; null without bounds.
 */
export function rulInterval(
  prediction: number,
  intervals: readonly ResidualInterval[] | undefined,
  cap: number,
): { hours: number; low: number; high: number } | null {
  const iv = intervals?.find((i) => i.level === 0.8);
  const median = intervals?.find((i) => i.level === 0);
  if (iv === undefined) return null;
  const clip = (v: number) => Math.min(cap, Math.max(0, v));
  return {
    hours: clip(prediction + (median?.low ?? 0)),
    low: clip(prediction + iv.low),
    high: clip(prediction + iv.high),
  };
}

/**
 * Out-of-sample coverage of residual bounds [low, high] on residuals some of which are censored:
 * F(high) - F(low-) of their Kaplan-Meier distribution, so instants whose RUL was still unknown at
 * the end of observation count too (under independent censoring) instead of only the short lives
 * that ended in time to be seen. NaN without a known residual.
 */
export function censoredCoverage(
  residuals: readonly Residual[],
  low: number,
  high: number,
  /** The largest residual possible: bounds reaching it cover everything above `low`. */
  maxResidual = Infinity,
): number {
  const cdf = kaplanMeierCdf(residuals);
  if (cdf.length === 0) return NaN;
  let below = 0;
  let upTo = 0;
  for (const c of cdf) {
    if (c.value < low) below = c.cdf;
    if (c.value <= high) upTo = c.cdf;
  }
  // Kaplan-Meier says nothing past its last known residual; an upper bound at the largest
  // possible residual covers that unseen mass too.
  return (high >= maxResidual ? 1 : upTo) - below;
}
