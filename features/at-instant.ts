/**
 * The online case: every statistic of one series over one window at its last row only, in a single
 * pass over that window (no rolling state). Scoring calls this on an equipment's recent history;
 * training calls the rolling kernels; both give the same numbers (tested to 1e-9).
 */
import type { Stat, WindowSpec } from './feature-set.ts';
import { timeResolution } from './kernels/trend.ts';
import { ewmaLast, ewmaSpanLast } from './kernels/ewma.ts';

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
  // One pass of shifted power sums (no division on the critical path): values are shifted by the
  // first valid one in the window and times by the window's first time, so the subtractions are
  // exact for values near them and large offsets cost no precision.
  let shift = NaN;
  const t0 = t[start] as number;
  let cnt = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  let s4 = 0;
  let sq = 0;
  let st = 0;
  let stt = 0;
  let stx = 0;
  let min = Infinity;
  let max = -Infinity;
  let first = NaN;
  let last = NaN;
  for (let i = start; i < n; i++) {
    const v = x[i] as number;
    if (v !== v) continue;
    if (shift !== shift) {
      shift = v;
      first = v;
    }
    cnt++;
    const e = v - shift;
    const e2 = e * e;
    s1 += e;
    s2 += e2;
    s3 += e2 * e;
    s4 += e2 * e2;
    sq += v * v;
    const a = (t[i] as number) - t0;
    st += a;
    stt += a * a;
    stx += a * e;
    min = Math.min(min, v); // branch-free on noisy data
    max = Math.max(max, v);
    last = v;
  }
  const A = s1 / cnt;
  const B = s2 / cnt - A * A;
  const C = s3 / cnt - A * A * A - 3 * A * B;
  const D = s4 / cnt - A * A * A * A - 6 * B * A * A - 4 * C * A;
  const flat = !(B > 1e-12 * (s2 / cnt));
  const mean = shift + A;
  const m2 = s2 - s1 * A;
  const ctt = stt - (st * st) / cnt;
  const ctx = stx - (st * s1) / cnt;
  const mt = st / cnt;
  for (let k = 0; k < stats.length; k++) {
    let v: number;
    switch (stats[k]) {
      case 'mean':
        v = cnt > 0 ? mean : NaN;
        break;
      case 'std':
        v = cnt > 1 ? Math.sqrt(m2 > 0 ? m2 / (cnt - 1) : 0) : NaN;
        break;
      case 'min':
        v = cnt > 0 ? min : NaN;
        break;
      case 'max':
        v = cnt > 0 ? max : NaN;
        break;
      case 'ptp':
        v = cnt > 0 ? max - min : NaN;
        break;
      case 'last':
        v = last;
        break;
      case 'delta':
        v = cnt > 0 ? last - first : NaN;
        break;
      case 'slope':
        v = cnt > 1 && ctt > timeResolution(cnt, mt + t0) ? ctx / ctt : NaN;
        break;
      case 'ewma':
        // The training recursion, over the part of the history that still weighs anything.
        v = w.kind === 'time' ? ewmaLast(t, x, w.seconds) : ewmaSpanLast(x, w.rows);
        break;
      case 'rms':
        v = cnt > 0 ? Math.sqrt(sq / cnt) : NaN;
        break;
      case 'skew':
        v = cnt < 3 || flat ? NaN : ((Math.sqrt(cnt * (cnt - 1)) / (cnt - 2)) * C) / Math.pow(B, 1.5);
        break;
      case 'kurt':
        v =
          cnt < 4 || flat
            ? NaN
            : ((cnt * cnt - 1) * (D / (B * B)) - 3 * (cnt - 1) * (cnt - 1)) / ((cnt - 2) * (cnt - 3));
        break;
      case 'count':
        v = cnt;
        break;
      case 'missing':
        v = (n - start - cnt) / (n - start);
        break;
      default:
        v = NaN;
    }
    out[offset + k] = v;
  }
}
