/**
 * Rolling last value, delta (last valid - first valid in the window), and slope: the least-squares
 * slope of value against time, in value units per second, from a Welford co-moment with exact
 * removal. Slope needs two valid values at distinct times, else NaN.
 */

/**
 * Below this, a time co-moment is rounding noise: all valid times in the window coincide and no
 * slope is defined (times carry ~1e-13 relative precision after the arithmetic here).
 */
export function timeResolution(n: number, meanTime: number): number {
  const r = 1e-13 * (1 + Math.abs(meanTime));
  return n * r * r;
}

export function rollingLast(x: Float64Array, starts: Int32Array, out: Float64Array): Float64Array {
  let last = -1;
  for (let i = 0; i < x.length; i++) {
    if ((x[i] as number) === (x[i] as number)) last = i;
    out[i] = last >= (starts[i] as number) ? (x[last] as number) : NaN;
  }
  return out;
}

export function rollingDelta(x: Float64Array, starts: Int32Array, out: Float64Array): Float64Array {
  // First valid index at or after each start: a pointer that only moves forward.
  let first = 0;
  let last = -1;
  for (let i = 0; i < x.length; i++) {
    if ((x[i] as number) === (x[i] as number)) last = i;
    const start = starts[i] as number;
    if (first < start) first = start;
    while (first <= i && (x[first] as number) !== (x[first] as number)) first++;
    out[i] = last >= start && first <= i ? (x[last] as number) - (x[first] as number) : NaN;
  }
  return out;
}

/**
 * `t` in seconds (any origin); `x` values. Removal is the exact inverse of Welford's update, but
 * rounding accumulates over a long series, and a window whose time spread collapses (a burst of
 * readings after a long gap) is left with a tiny co-moment computed as a difference of large ones.
 * So the sums are rebuilt from the window itself when the time co-moment falls below 1e-4 of its
 * peak, and after as many removals as the window holds (amortised O(1) per row).
 */
export function rollingSlope(
  t: Float64Array,
  x: Float64Array,
  starts: Int32Array,
  out: Float64Array,
): Float64Array {
  // Work on x - x0 and t - t0: for values near x0 the subtraction is exact (Sterbenz), so a large
  // offset (1e6 with 0.01 noise) costs no precision in the co-moments.
  let x0 = 0;
  for (let i = 0; i < x.length; i++) {
    if ((x[i] as number) === (x[i] as number)) {
      x0 = x[i] as number;
      break;
    }
  }
  const t0 = t.length > 0 ? (t[0] as number) : 0;
  let n = 0;
  let mt = 0;
  let mx = 0;
  let ctt = 0;
  let ctx = 0;
  let peak = 0;
  let removals = 0;
  let lo = 0;
  for (let i = 0; i < x.length; i++) {
    const v = (x[i] as number) - x0;
    if (v === v) {
      n++;
      const dt = (t[i] as number) - t0 - mt;
      mt += dt / n;
      mx += (v - mx) / n;
      ctt += dt * ((t[i] as number) - t0 - mt);
      ctx += dt * (v - mx);
      if (ctt > peak) peak = ctt;
    }
    const start = starts[i] as number;
    let removed = false;
    while (lo < start) {
      const r = (x[lo] as number) - x0;
      if (r === r) {
        removed = true;
        removals++;
        n--;
        if (n === 0) {
          mt = mx = ctt = ctx = 0;
        } else {
          const dt = (t[lo] as number) - t0 - mt;
          mt -= dt / n;
          mx -= (r - mx) / n;
          ctt -= dt * ((t[lo] as number) - t0 - mt);
          ctx -= dt * (r - mx);
        }
      }
      lo++;
    }
    if (removed && (ctt < 1e-4 * peak || removals > n + 16)) {
      removals = 0;
      n = 0;
      mt = mx = ctt = ctx = 0;
      for (let j = start; j <= i; j++) {
        const u = (x[j] as number) - x0;
        if (u !== u) continue;
        n++;
        const dt = (t[j] as number) - t0 - mt;
        mt += dt / n;
        mx += (u - mx) / n;
        ctt += dt * ((t[j] as number) - t0 - mt);
        ctx += dt * (u - mx);
      }
      peak = ctt;
    }
    out[i] = n > 1 && ctt > timeResolution(n, mt + t0) ? ctx / ctt : NaN;
  }
  return out;
}
