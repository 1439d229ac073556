/**
 * Isotonic calibration (pool-adjacent-violators): a monotone map from raw forest scores to observed
 * failure frequencies, fitted on a fold later in time than the training rows, so that a calibrated
 * "0.3" means about 30 % of such instants see a failure within the horizon.
 */
export interface Calibrator {
  /** Upper score of each block, ascending. */
  readonly x: Float64Array;
  /** Calibrated probability of each block. */
  readonly y: Float64Array;
}

export function fitIsotonic(score: ArrayLike<number>, label: ArrayLike<number>): Calibrator {
  const idx = Array.from({ length: score.length }, (_, i) => i)
    .filter((i) => score[i] === score[i] && label[i] === label[i])
    .sort((a, b) => (score[a] as number) - (score[b] as number));
  const xs: number[] = [];
  const sums: number[] = [];
  const counts: number[] = [];
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
    start = end;
    // Merge while the previous block's mean is not below this one's (equal means: one block).
    while (sums.length > 1) {
      const k = sums.length - 1;
      if ((sums[k - 1] as number) / (counts[k - 1] as number) < (sums[k] as number) / (counts[k] as number))
        break;
      sums[k - 1] = (sums[k - 1] as number) + (sums[k] as number);
      counts[k - 1] = (counts[k - 1] as number) + (counts[k] as number);
      xs[k - 1] = xs[k] as number;
      sums.pop();
      counts.pop();
      xs.pop();
    }
  }
  return { x: Float64Array.from(xs), y: Float64Array.from(sums, (s, k) => s / (counts[k] as number)) };
}

export function calibrate(c: Calibrator, score: number): number {
  if (c.x.length === 0) return score;
  let lo = 0;
  let hi = c.x.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((c.x[mid] as number) >= score) hi = mid;
    else lo = mid + 1;
  }
  return c.y[lo] as number;
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
