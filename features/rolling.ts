/**
 * All requested statistics of one series over one window, every row. `t` is time in seconds
 * (for time windows, slope and EWMA), `x` the values with NaN for missing. Output arrays are
 * supplied by the caller so they can be reused: allocation, not arithmetic, dominates otherwise.
 */
import type { Stat, WindowSpec } from './feature-set.ts';
import { rollingCount, rollingMissingRatio } from './kernels/counts.ts';
import { ewma, ewmaSpan } from './kernels/ewma.ts';
import { rollingMax, rollingMin } from './kernels/extrema.ts';
import { rollingMean, rollingMoments, rollingStd } from './kernels/moments.ts';
import { rollingDelta, rollingLast, rollingSlope } from './kernels/trend.ts';
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
  starts: Int32Array = windowStarts(t, w),
): void {
  const want = (s: Stat) => stats.includes(s);
  if (want('mean')) rollingMean(x, starts, outs.mean!);
  if (want('std')) rollingStd(x, starts, outs.std!);
  if (want('min') || want('ptp')) rollingMin(x, starts, outs.min ?? new Float64Array(x.length));
  if (want('max') || want('ptp')) rollingMax(x, starts, outs.max ?? new Float64Array(x.length));
  if (want('ptp')) {
    const lo = outs.min ?? rollingMin(x, starts, new Float64Array(x.length));
    const hi = outs.max ?? rollingMax(x, starts, new Float64Array(x.length));
    const p = outs.ptp!;
    for (let i = 0; i < x.length; i++) p[i] = (hi[i] as number) - (lo[i] as number);
  }
  if (want('last')) rollingLast(x, starts, outs.last!);
  if (want('delta')) rollingDelta(x, starts, outs.delta!);
  if (want('slope')) rollingSlope(t, x, starts, outs.slope!);
  if (want('ewma')) ewmaFor(t, x, w, outs.ewma!);
  if (want('rms') || want('skew') || want('kurt'))
    rollingMoments(x, starts, { rms: outs.rms, skew: outs.skew, kurt: outs.kurt });
  if (want('count')) rollingCount(x, starts, outs.count!);
  if (want('missing')) rollingMissingRatio(x, starts, outs.missing!);
}
