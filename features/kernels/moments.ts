/**
 * Rolling mean, std, RMS, skewness and kurtosis with incremental add/remove: O(n) per window
 * whatever its width. Missing values (NaN) are skipped: statistics are over the valid values in the
 * window, NaN when too few (mean, rms: 1; std: 2; skew: 3; kurt: 4 — the pandas conventions).
 *
 * Stability: the mean is a Kahan-compensated sum; the variance is Welford's update with its exact
 * inverse for removal; higher moments use compensated power sums of values shifted by a value near
 * the window (rebuilt periodically), so large offsets (a 1,500 °C exhaust with 0.1 °C noise) do not
 * cancel away the signal.
 */

/** Rolling mean over windows [starts[i], i]. */
export function rollingMean(x: Float64Array, starts: Int32Array, out: Float64Array): Float64Array {
  let sum = 0;
  let comp = 0; // Kahan compensation
  let n = 0;
  let lo = 0;
  for (let i = 0; i < x.length; i++) {
    const v = x[i] as number;
    if (v === v) {
      const y = v - comp;
      const t = sum + y;
      comp = t - sum - y;
      sum = t;
      n++;
    }
    const start = starts[i] as number;
    while (lo < start) {
      const r = x[lo++] as number;
      if (r === r) {
        const y = -r - comp;
        const t = sum + y;
        comp = t - sum - y;
        sum = t;
        n--;
      }
    }
    out[i] = n > 0 ? sum / n : NaN;
  }
  return out;
}

/**
 * Rolling sample standard deviation (ddof 1), Welford add/remove. Removal drifts over long series
 * (~1e-9 relative after 10^4 rows of a wandering level), so the state is rebuilt two-pass from the
 * window after as many removals as it holds: amortised O(1) per row.
 */
export function rollingStd(x: Float64Array, starts: Int32Array, out: Float64Array): Float64Array {
  let n = 0;
  let mean = 0;
  let m2 = 0;
  let lo = 0;
  let removals = 0;
  for (let i = 0; i < x.length; i++) {
    const v = x[i] as number;
    if (v === v) {
      n++;
      const d = v - mean;
      mean += d / n;
      m2 += d * (v - mean);
    }
    const start = starts[i] as number;
    while (lo < start) {
      const r = x[lo++] as number;
      if (r === r) {
        n--;
        removals++;
        if (n === 0) {
          mean = 0;
          m2 = 0;
        } else {
          const d = r - mean;
          mean -= d / n;
          m2 -= d * (r - mean);
        }
      }
    }
    if (removals > n + 16) {
      removals = 0;
      let sum = 0;
      let k = 0;
      for (let j = start; j <= i; j++) {
        const u = x[j] as number;
        if (u === u) {
          sum += u;
          k++;
        }
      }
      mean = k > 0 ? sum / k : 0;
      m2 = 0;
      for (let j = start; j <= i; j++) {
        const u = x[j] as number;
        if (u === u) m2 += (u - mean) * (u - mean);
      }
    }
    out[i] = n > 1 ? Math.sqrt(m2 > 0 ? m2 / (n - 1) : 0) : NaN;
  }
  return out;
}

export interface MomentOutputs {
  rms?: Float64Array;
  skew?: Float64Array;
  kurt?: Float64Array;
}

/**
 * RMS, skewness (adjusted Fisher-Pearson, as pandas) and excess kurtosis (unbiased, as pandas)
 * in one sweep of compensated power sums.
 */
export function rollingMoments(x: Float64Array, starts: Int32Array, outs: MomentOutputs): void {
  let shift = 0;
  for (let i = 0; i < x.length; i++) {
    if ((x[i] as number) === (x[i] as number)) {
      shift = x[i] as number;
      break;
    }
  }
  const s = new Float64Array(5); // sums of d^1..d^4 (index 1..4), d = x - shift
  const c = new Float64Array(5); // their Kahan compensations
  let sq = 0; // sum of raw x^2 for RMS
  let sqc = 0;
  let n = 0;
  let lo = 0;
  let removals = 0;
  const add = (k: number, v: number) => {
    const y = v - (c[k] as number);
    const t = (s[k] as number) + y;
    c[k] = t - (s[k] as number) - y;
    s[k] = t;
  };
  const { rms, skew, kurt } = outs;
  for (let i = 0; i < x.length; i++) {
    const v = x[i] as number;
    if (v === v) {
      const d = v - shift;
      const d2 = d * d;
      add(1, d);
      add(2, d2);
      add(3, d2 * d);
      add(4, d2 * d2);
      const y = v * v - sqc;
      const t = sq + y;
      sqc = t - sq - y;
      sq = t;
      n++;
    }
    const start = starts[i] as number;
    while (lo < start) {
      const r = x[lo++] as number;
      if (r === r) {
        const d = r - shift;
        const d2 = d * d;
        add(1, -d);
        add(2, -d2);
        add(3, -d2 * d);
        add(4, -d2 * d2);
        const y = -r * r - sqc;
        const t = sq + y;
        sqc = t - sq - y;
        sq = t;
        n--;
        removals++;
      }
    }
    // Removal leaves rounding behind, and the shift drifts away from the window as the series
    // trends: rebuild the sums from the window, shifted by its first value, after as many
    // removals as the window holds (amortised O(1) per row).
    if (removals > n + 16 || (n === 0 && removals > 0)) {
      removals = 0;
      s.fill(0);
      c.fill(0);
      sq = 0;
      sqc = 0;
      n = 0;
      const previous = shift;
      shift = NaN;
      for (let j = start; j <= i; j++) {
        const u = x[j] as number;
        if (u !== u) continue;
        if (shift !== shift) shift = u;
        const d = u - shift;
        const d2 = d * d;
        add(1, d);
        add(2, d2);
        add(3, d2 * d);
        add(4, d2 * d2);
        const y = u * u - sqc;
        const t = sq + y;
        sqc = t - sq - y;
        sq = t;
        n++;
      }
      if (shift !== shift) shift = previous; // an all-missing window: keep the old shift
    }
    if (rms) rms[i] = n > 0 ? Math.sqrt(Math.max(0, sq / n)) : NaN;
    if (skew === undefined && kurt === undefined) continue;
    const A = (s[1] as number) / n;
    const B = (s[2] as number) / n - A * A;
    const C = (s[3] as number) / n - A * A * A - 3 * A * B;
    // A variance at rounding level of the (shifted) second moment is a constant window.
    const flat = !(B > 1e-12 * ((s[2] as number) / n));
    if (skew) skew[i] = n < 3 || flat ? NaN : ((Math.sqrt(n * (n - 1)) / (n - 2)) * C) / Math.pow(B, 1.5);
    if (kurt) {
      const D = (s[4] as number) / n - A * A * A * A - 6 * B * A * A - 4 * C * A;
      kurt[i] =
        n < 4 || flat ? NaN : ((n * n - 1) * (D / (B * B)) - 3 * (n - 1) * (n - 1)) / ((n - 2) * (n - 3));
    }
  }
}
