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

/**
 * Split-conformal bounds: with n residuals, the ceil((n + 1)(1 - a/2))-th smallest as the upper
 * bound and its mirror as the lower one, so the interval covers a new residual with probability
 * at least the level when residuals are exchangeable. Level 0 is the median residual: the served
 * point is the prediction plus it, so the point is the middle of its own interval (a forest that
 * runs long on the calibration slice is corrected by as much, and the interval is not pinned to it).
 */
export function conformalIntervals(residuals: readonly number[]): ResidualInterval[] {
  const r = [...residuals].filter((v) => v === v).sort((a, b) => a - b);
  const n = r.length;
  if (n < 10) return [];
  const m = n >> 1;
  const median = n % 2 === 1 ? (r[m] as number) : ((r[m - 1] as number) + (r[m] as number)) / 2;
  return [
    { level: 0, low: median, high: median },
    ...INTERVAL_LEVELS.map((level) => {
      const a = 1 - level;
      const k = Math.min(n, Math.ceil((n + 1) * (1 - a / 2)));
      return { level, low: r[n - k] as number, high: r[k - 1] as number };
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
