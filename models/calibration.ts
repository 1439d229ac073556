/**
 * Isotonic calibration (pool-adjacent-violators): a monotone map from raw forest scores to observed
 * failure frequencies, fitted on a fold later in time than the training rows, so that a calibrated
 * "0.3" means about 30 % of such instants see a failure within the horizon.
 *
 * Two readings of the same blocks:
 * - step (the classic): every score of a block gets the block's frequency. A forest's top block
 *   often spans scores from 0.6 to 1 and answers 1 for all of them, so an alert threshold chosen on
 *   calibrated probabilities can only sit at a block's edge: everything in the top block or nothing.
 * - centered (after centered isotonic regression, Oron & Flournoy 2017): each block is the point
 *   (mean score, frequency) and a score between two points is interpolated linearly. The lowest
 *   block's point sits at its lowest score and the highest block's at its highest, so the map rises
 *   across the whole range the calibration saw (the top block is where an alert threshold falls);
 *   below or above that range it is flat. Monotone, equal to the blocks' frequencies at their
 *   points, strictly increasing between them: the ranking of the raw scores survives calibration
 *   and a threshold can fall anywhere.
 */
export interface Calibrator {
  /** Step: upper score of each block; centered: each block's point (see above). Ascending. */
  readonly x: Float64Array;
  /** Calibrated probability of each block. */
  readonly y: Float64Array;
  /** Interpolate between the blocks' centres (absent: step). */
  readonly centered?: boolean;
}

/** The calibrator a model's metadata stores (`centered` absent in models trained before it existed). */
export interface CalibratorJson {
  readonly x: readonly number[];
  readonly y: readonly number[];
  readonly centered?: boolean;
}

export function calibratorOf(json: CalibratorJson): Calibrator {
  return {
    x: Float64Array.from(json.x),
    y: Float64Array.from(json.y),
    ...(json.centered === true ? { centered: true } : {}),
  };
}

/** As JSON can hold it: -Infinity (a block of missing values) as the lowest finite number. */
export function calibratorJson(c: Calibrator): CalibratorJson {
  return {
    x: Array.from(c.x, (v) => Math.max(v, -Number.MAX_VALUE)),
    y: Array.from(c.y),
    ...(c.centered === true ? { centered: true } : {}),
  };
}

export function fitIsotonic(
  score: ArrayLike<number>,
  label: ArrayLike<number>,
  o: { centered?: boolean } = {},
): Calibrator {
  const idx = Array.from({ length: score.length }, (_, i) => i)
    .filter((i) => score[i] === score[i] && label[i] === label[i])
    .sort((a, b) => (score[a] as number) - (score[b] as number));
  const xs: number[] = [];
  const sums: number[] = [];
  const counts: number[] = [];
  // Per block, the sum, count and lowest of its finite scores (its centre: -Infinity, missing
  // values, stands for itself only in a block of nothing else).
  const xSums: number[] = [];
  const xCounts: number[] = [];
  const xLows: number[] = [];
  for (let start = 0; start < idx.length;) {
    // Instants with the same score are one point, their mean label its value (a forest's scores
    // tie often): pooled apart, their blocks' order, and so the probability a tied score maps to,
    // would follow the rows' order.
    const x = score[idx[start] as number] as number;
    let end = start;
    let sum = 0;
    while (end < idx.length && score[idx[end] as number] === x) sum += label[idx[end++] as number] as number;
    xs.push(x);
    sums.push(sum);
    counts.push(end - start);
    const finite = Number.isFinite(x);
    xSums.push(finite ? x * (end - start) : 0);
    xCounts.push(finite ? end - start : 0);
    xLows.push(finite ? x : NaN);
    start = end;
    // Merge while the previous block's mean is not below this one's (equal means: one block).
    while (sums.length > 1) {
      const k = sums.length - 1;
      if ((sums[k - 1] as number) / (counts[k - 1] as number) < (sums[k] as number) / (counts[k] as number))
        break;
      sums[k - 1] = (sums[k - 1] as number) + (sums[k] as number);
      counts[k - 1] = (counts[k - 1] as number) + (counts[k] as number);
      xs[k - 1] = xs[k] as number;
      xSums[k - 1] = (xSums[k - 1] as number) + (xSums[k] as number);
      xCounts[k - 1] = (xCounts[k - 1] as number) + (xCounts[k] as number);
      if (Number.isNaN(xLows[k - 1])) xLows[k - 1] = xLows[k] as number;
      xLows.pop();
      sums.pop();
      counts.pop();
      xs.pop();
      xSums.pop();
      xCounts.pop();
    }
  }
  const y = Float64Array.from(sums, (s, k) => s / (counts[k] as number));
  if (o.centered !== true) return { x: Float64Array.from(xs), y };
  const n = xs.length;
  const x = Float64Array.from(xs, (upper, k) => {
    if ((xCounts[k] as number) === 0) return upper;
    if (n > 1 && k === n - 1) return upper;
    if (n > 1 && k === 0) return xLows[0] as number;
    return (xSums[k] as number) / (xCounts[k] as number);
  });
  return { x, y, centered: true };
}

export function calibrate(c: Calibrator, score: number): number {
  if (c.x.length === 0) return score;
  if (c.centered === true) return interpolate(c, score);
  let lo = 0;
  let hi = c.x.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((c.x[mid] as number) >= score) hi = mid;
    else lo = mid + 1;
  }
  return c.y[lo] as number;
}

/** Centered reading: linear between the blocks' centres, flat beyond the first and the last. */
function interpolate(c: Calibrator, score: number): number {
  const n = c.x.length;
  if (!(score > (c.x[0] as number))) return score === score ? (c.y[0] as number) : NaN;
  if (score >= (c.x[n - 1] as number)) return c.y[n - 1] as number;
  // The first centre at or above the score (there is one: the last is above it).
  let lo = 1;
  let hi = n - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((c.x[mid] as number) >= score) hi = mid;
    else lo = mid + 1;
  }
  const x0 = c.x[lo - 1] as number;
  const x1 = c.x[lo] as number;
  const y0 = c.y[lo - 1] as number;
  const y1 = c.y[lo] as number;
  // A -Infinity centre (a block of missing values only): any finite score is past it.
  if (!Number.isFinite(x0)) return y1;
  return y0 + ((score - x0) / (x1 - x0)) * (y1 - y0);
}

/** Brier score: mean squared difference between probability and outcome. */
export function brier(p: ArrayLike<number>, y: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < p.length; i++) s += ((p[i] as number) - (y[i] as number)) ** 2;
  return s / p.length;
}

/** Average precision (area under the precision-recall curve, step-wise). */
export function prAuc(score: ArrayLike<number>, label: ArrayLike<number>): number {
  const idx = Array.from({ length: score.length }, (_, i) => i).sort(
    (a, b) => (score[b] as number) - (score[a] as number),
  );
  let positives = 0;
  for (let i = 0; i < label.length; i++) if (label[i] === 1) positives++;
  if (positives === 0) return NaN;
  let tp = 0;
  let ap = 0;
  idx.forEach((i, k) => {
    if (label[i] === 1) {
      tp++;
      ap += tp / (k + 1);
    }
  });
  return ap / positives;
}

/** Reliability curve: mean predicted vs observed frequency in `bins` equal-width bins. */
export function reliability(
  p: ArrayLike<number>,
  y: ArrayLike<number>,
  bins = 10,
): { predicted: number; observed: number; count: number }[] {
  const s = new Float64Array(bins);
  const o = new Float64Array(bins);
  const n = new Float64Array(bins);
  for (let i = 0; i < p.length; i++) {
    const b = Math.min(bins - 1, Math.floor((p[i] as number) * bins));
    s[b] = (s[b] as number) + (p[i] as number);
    o[b] = (o[b] as number) + (y[i] as number);
    n[b] = (n[b] as number) + 1;
  }
  return Array.from({ length: bins }, (_, b) => ({
    predicted: (n[b] as number) > 0 ? (s[b] as number) / (n[b] as number) : NaN,
    observed: (n[b] as number) > 0 ? (o[b] as number) / (n[b] as number) : NaN,
    count: n[b] as number,
  })).filter((r) => r.count > 0);
}

/** Expected calibration error: the count-weighted mean gap between predicted and observed per bin. */
export function expectedCalibrationError(p: ArrayLike<number>, y: ArrayLike<number>, bins = 10): number {
  const table = reliability(p, y, bins);
  const n = table.reduce((s, r) => s + r.count, 0);
  return n === 0 ? NaN : table.reduce((s, r) => s + r.count * Math.abs(r.predicted - r.observed), 0) / n;
}
