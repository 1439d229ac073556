/**
 * All requested statistics of one series over one window, every row. `t` is time in seconds
 * (for time windows, slope and EWMA), `x` the values with NaN for missing. Output arrays are
 * supplied by the caller so they can be reused: allocation, not arithmetic, dominates otherwise.
 */
import type { Stat, WindowSpec } from './feature-set.ts';
import { rollingCount, rollingMissingRatio } from './kernels/counts.ts';
import { ewma, ewmaSpan } from './kernels/ewma.ts';
import { rollingMax, rollingMin } from './kernels/extrema.ts';
import { rollingMoments } from './kernels/moments.ts';
import { rollingDelta, rollingLast, rollingSlope, timeResolution } from './kernels/trend.ts';
import { gappyFixedExtreme, gappyFixedMeanStd, gappyFixedMinMax, gappyMeanStd } from './kernels/gappy.ts';
import {
  denseMean,
  denseSlope,
  denseStd,
  fixedMax,
  fixedMean,
  fixedMin,
  fixedStd,
  fixedWidth,
  isDense,
} from './kernels/dense.ts';
import { countWindowStarts, timeWindowStarts } from './window-bounds.ts';

export function windowStarts(t: Float64Array, w: WindowSpec, out?: Int32Array): Int32Array {
  return w.kind === 'time' ? timeWindowStarts(t, w.seconds, out) : countWindowStarts(t.length, w.rows, out);
}

/**
 * EWMA for a window: time windows use a half-life equal to their width; count windows a span of
 * their row count (weight 2/(N+1) per value). Neither depends on the data, so neither can leak.
 */
export function ewmaFor(t: Float64Array, x: Float64Array, w: WindowSpec, out: Float64Array): Float64Array {
  return w.kind === 'time' ? ewma(t, x, w.seconds, out) : ewmaSpan(x, w.rows, out);
}

export function rollingStats(
  t: Float64Array,
  x: Float64Array,
  w: WindowSpec,
  stats: readonly Stat[],
  outs: Partial<Record<Stat, Float64Array>>,
  /**
   * The window bounds (`windowStarts`), or how to compute them: computed only when a statistic
   * reads them. Windows of the last w rows take mean, std, min, max and ewma without them (a pass
   * writing n bounds took a fifth of a rolling mean's time).
   */
  bounds: Int32Array | (() => Int32Array) = () => windowStarts(t, w),
  /** Whether `x` has no NaN, if the caller already knows (it is the same for every window). */
  dense: boolean = isDense(x),
): void {
  const want = (s: Stat) => stats.includes(s);
  let known = typeof bounds === 'function' ? undefined : bounds;
  const starts = (): Int32Array => (known ??= (bounds as () => Int32Array)());
  // Dense slices (no NaN) take branch-free loops; fixed-width windows index i - w directly.
  // Slices with NaN take the blocked kernels of gappy.ts for mean, std and extrema (the exact ones
  // in moments.ts and extrema.ts are their references in the tests).
  const width = w.kind === 'count' ? w.rows : fixedWidth(starts());
  const fixed = dense ? width : 0;
  const n = x.length;
  const needMin = want('min') || want('ptp');
  const needMax = want('max') || want('ptp');
  const lo = needMin ? (outs.min ?? new Float64Array(n)) : undefined;
  const hi = needMax ? (outs.max ?? new Float64Array(n)) : undefined;
  if (fixed > 0) {
    if (want('mean')) fixedMean(x, fixed, outs.mean!);
    if (want('std')) fixedStd(x, fixed, outs.std!);
    if (lo) fixedMin(x, fixed, lo);
    if (hi) fixedMax(x, fixed, hi);
  } else {
    if (dense) {
      if (want('mean')) denseMean(x, starts(), outs.mean!);
      if (want('std')) denseStd(x, starts(), outs.std!);
    } else if (want('mean') || want('std')) {
      const mean = want('mean') ? outs.mean : undefined;
      const std = want('std') ? outs.std : undefined;
      if (width > 0) gappyFixedMeanStd(x, width, mean, std);
      else gappyMeanStd(x, starts(), mean, std);
    }
    if (width > 0 && lo && hi) gappyFixedMinMax(x, width, lo, hi);
    else if (width > 0) {
      if (lo) gappyFixedExtreme(x, width, lo, 1);
      if (hi) gappyFixedExtreme(x, width, hi, -1);
    } else {
      if (lo) rollingMin(x, starts(), lo);
      if (hi) rollingMax(x, starts(), hi);
    }
  }
  if (want('ptp')) {
    const p = outs.ptp!;
    for (let i = 0; i < n; i++) p[i] = (hi![i] as number) - (lo![i] as number);
  }
  if (want('last')) rollingLast(x, starts(), outs.last!);
  if (want('delta')) rollingDelta(x, starts(), outs.delta!);
  if (want('slope')) {
    if (dense) denseSlope(t, x, starts(), outs.slope!, timeResolution);
    else rollingSlope(t, x, starts(), outs.slope!);
  }
  if (want('ewma')) ewmaFor(t, x, w, outs.ewma!);
  if (want('rms') || want('skew') || want('kurt'))
    rollingMoments(x, starts(), { rms: outs.rms, skew: outs.skew, kurt: outs.kurt });
  if (want('count')) rollingCount(x, starts(), outs.count!);
  if (want('missing')) rollingMissingRatio(x, starts(), outs.missing!);
}
