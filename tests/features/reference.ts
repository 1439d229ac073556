/**
 * Naive references: each window recomputed from scratch (two-pass formulas, plain loops) straight
 * from the definitions in features/window-bounds.ts and the kernels' docs.
 */
import type { Stat, WindowSpec } from '../../features/feature-set.ts';

export function naiveStart(t: Float64Array, i: number, w: WindowSpec): number {
  if (w.kind === 'count') return Math.max(0, i - w.rows + 1);
  let j = i;
  while (j > 0 && (t[j - 1] as number) > (t[i] as number) - w.seconds) j--;
  return j;
}

export function naiveStat(t: Float64Array, x: Float64Array, lo: number, hi: number, stat: Stat): number {
  const vals: number[] = [];
  const times: number[] = [];
  for (let j = lo; j <= hi; j++) {
    if (!Number.isNaN(x[j])) {
      vals.push(x[j] as number);
      times.push(t[j] as number);
    }
  }
  const n = vals.length;
  const mean = vals.reduce((s, v) => s + v, 0) / n;
  const m = (k: number) => vals.reduce((s, v) => s + (v - mean) ** k, 0) / n;
  switch (stat) {
    case 'mean':
      return n > 0 ? mean : NaN;
    case 'std':
      return n > 1 ? Math.sqrt(vals.reduce((s, v) => s + (v - mean) ** 2, 0) / (n - 1)) : NaN;
    case 'min':
      return n > 0 ? Math.min(...vals) : NaN;
    case 'max':
      return n > 0 ? Math.max(...vals) : NaN;
    case 'ptp':
      return n > 0 ? Math.max(...vals) - Math.min(...vals) : NaN;
    case 'last':
      return n > 0 ? (vals[n - 1] as number) : NaN;
    case 'delta':
      return n > 0 ? (vals[n - 1] as number) - (vals[0] as number) : NaN;
    case 'slope': {
      if (n < 2) return NaN;
      const mt = times.reduce((s, v) => s + v, 0) / n;
      let stt = 0;
      let stx = 0;
      for (let k = 0; k < n; k++) {
        stt += ((times[k] as number) - mt) ** 2;
        stx += ((times[k] as number) - mt) * ((vals[k] as number) - mean);
      }
      return Math.min(...times) === Math.max(...times) ? NaN : stx / stt;
    }
    case 'rms':
      return n > 0 ? Math.sqrt(vals.reduce((s, v) => s + v * v, 0) / n) : NaN;
    case 'skew': {
      const m2 = m(2);
      if (n < 3 || Math.min(...vals) === Math.max(...vals)) return NaN;
      return (Math.sqrt(n * (n - 1)) / (n - 2)) * (m(3) / m2 ** 1.5);
    }
    case 'kurt': {
      const m2 = m(2);
      if (n < 4 || Math.min(...vals) === Math.max(...vals)) return NaN;
      const g2 = m(4) / (m2 * m2) - 3;
      return ((n - 1) / ((n - 2) * (n - 3))) * ((n + 1) * g2 + 6);
    }
    case 'count':
      return n;
    case 'missing':
      return (hi - lo + 1 - n) / (hi - lo + 1);
    case 'ewma':
      throw new Error('ewma has its own reference');
  }
}

/**
 * EWMA by its definition: time windows weight a value 1 - 2^(-Δt/h) with h the width; count
 * windows weight 2/(N+1) per valid value.
 */
export function naiveEwma(t: Float64Array, x: Float64Array, w: WindowSpec, i: number): number {
  let s = NaN;
  let tp = 0;
  for (let j = 0; j <= i; j++) {
    const v = x[j] as number;
    if (Number.isNaN(v)) continue;
    if (Number.isNaN(s)) s = v;
    else {
      const a = w.kind === 'time' ? 1 - Math.pow(2, -((t[j] as number) - tp) / w.seconds) : 2 / (w.rows + 1);
      s = a * v + (1 - a) * s;
    }
    tp = t[j] as number;
  }
  return s;
}

/** The natural size of a slope in a window: value range over time range. */
export function slopeScale(t: Float64Array, x: Float64Array, lo: number, hi: number): number {
  let xl = Infinity;
  let xh = -Infinity;
  let tl = Infinity;
  let th = -Infinity;
  for (let j = lo; j <= hi; j++) {
    if (x[j] !== x[j]) continue;
    xl = Math.min(xl, x[j] as number);
    xh = Math.max(xh, x[j] as number);
    tl = Math.min(tl, t[j] as number);
    th = Math.max(th, t[j] as number);
  }
  return th > tl ? (xh - xl) / (th - tl) : 0;
}

/**
 * The magnitude a statistic of window [lo, hi] is judged against besides itself: means, spreads
 * and extrema-like values against the series' magnitude (an offset of 1e6 with unit noise leaves
 * ~1e-10 absolute precision), the slope against its natural size, skew and kurtosis absolutely
 * near zero (dimensionless), the rest relative to themselves.
 */
export function judgedScale(
  stat: Stat,
  t: Float64Array,
  x: Float64Array,
  lo: number,
  hi: number,
  magnitude: number,
): number {
  if (stat === 'mean' || stat === 'rms' || stat === 'ewma' || stat === 'std' || stat === 'delta')
    return magnitude;
  if (stat === 'slope') return slopeScale(t, x, lo, hi);
  return stat === 'skew' || stat === 'kurt' ? 1 : 0;
}
