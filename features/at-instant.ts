/**
 * The online case: every statistic of one series over one window at its last row only, in a single
 * pass over that window (no rolling state). Scoring calls this on an equipment's recent history;
 * training calls the rolling kernels; both give the same numbers (tested to 1e-9).
 */
import type { Stat, WindowSpec } from './feature-set.ts';
import { ewmaLast, ewmaSpanLast } from './kernels/ewma.ts';
import { shiftedSums, statsFromSums } from './from-sums.ts';

/** First row of the window that ends at the last row. */
export function lastWindowStart(t: Float64Array, w: WindowSpec): number {
  const n = t.length;
  if (w.kind === 'count') return Math.max(0, n - w.rows);
  const edge = (t[n - 1] as number) - w.seconds;
  let lo = 0;
  let hi = n - 1; // binary search: first index with t > edge
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((t[mid] as number) > edge) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/** Writes the statistics for the window ending at the last row into `out[offset + k]`, in `stats` order. */
export function statsAtLast(
  t: Float64Array,
  x: Float64Array,
  w: WindowSpec,
  stats: readonly Stat[],
  out: Float64Array,
  offset: number,
): void {
  const n = x.length;
  if (n === 0) {
    for (let k = 0; k < stats.length; k++) out[offset + k] = stats[k] === 'count' ? 0 : NaN;
    return;
  }
  const start = lastWindowStart(t, w);
  // One pass of shifted sums: values shifted by the first valid one in the window, times by the
  // window's first time, so the subtractions are exact for values near them and large offsets cost
  // no precision. The statistics come from the same function the dense online pass uses.
  let first = start;
  while (first < n && (x[first] as number) !== (x[first] as number)) first++;
  const shift = first < n ? (x[first] as number) : NaN;
  const t0 = t[start] as number;
  const sums = new Float64Array(12);
  sums[9] = Infinity;
  sums[10] = -Infinity;
  sums[11] = shift;
  const last = first < n ? shiftedSums(t, x, first, n, shift, t0, sums, 0) : NaN;
  const ewma = stats.includes('ewma')
    ? w.kind === 'time'
      ? ewmaLast(t, x, w.seconds)
      : ewmaSpanLast(x, w.rows)
    : NaN;
  statsFromSums(
    sums,
    0,
    shift === shift ? shift : 0,
    t0,
    last,
    stats,
    ewma,
    out,
    offset,
    (n - start - (sums[0] as number)) / (n - start),
  );
}
