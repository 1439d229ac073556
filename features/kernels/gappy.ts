/**
 * Fast paths for series with missing values (NaN), the common case in plant telemetry (outages,
 * dropped readings): the same blocked sliding sums as dense.ts, each value counted only when
 * present. No Kahan chain and no Welford division on the critical path (in moments.ts those carry
 * a 20-30 ns/value dependency chain); rounding is bounded instead by rebuilding the sums from the
 * window at the start of every block of BLOCK rows, shifted to a value present in it. Results
 * agree with the exact kernels of moments.ts and extrema.ts (tests/features/rolling.test.ts).
 *
 * Windows are [starts[i], i]; statistics are over the values present, NaN when too few (mean: 1,
 * std: 2), the conventions of the exact kernels and of pandas. The slope keeps its exact kernel:
 * sums about a block's first instant lose the slope of a short window far from it (measured:
 * 1e-6 relative on two readings, and a slope where the times coincide).
 */

const BLOCK = 4096;

/** The first value present in x[from, to), else 0: the shift the block's sums are taken about. */
function presentIn(x: Float64Array, from: number, to: number): number {
  for (let j = from; j < to; j++) if ((x[j] as number) === (x[j] as number)) return x[j] as number;
  return 0;
}

/**
 * Mean and sample standard deviation (ddof 1) from shifted sums of values and squares, in one
 * pass for whichever of the two outputs is given. Windows of any bounds; `gappyFixedMeanStd` is
 * the same for windows of the last w rows.
 */
export function gappyMeanStd(
  x: Float64Array,
  starts: Int32Array,
  mean: Float64Array | undefined,
  std: Float64Array | undefined,
): void {
  const n = x.length;
  let s1 = 0;
  let s2 = 0;
  let count = 0;
  let lo = 0;
  let shift = presentIn(x, 0, Math.min(n, BLOCK));
  for (let b = 0; b < n; b += BLOCK) {
    const end = Math.min(n, b + BLOCK);
    if (b > 0) {
      lo = starts[b] as number;
      shift = presentIn(x, lo, end);
      s1 = s2 = 0;
      count = 0;
      for (let j = lo; j < b; j++) {
        const v = x[j] as number;
        if (v === v) {
          const d = v - shift;
          s1 += d;
          s2 += d * d;
          count++;
        }
      }
    }
    for (let i = b; i < end; i++) {
      const v = x[i] as number;
      if (v === v) {
        const d = v - shift;
        s1 += d;
        s2 += d * d;
        count++;
      }
      const start = starts[i] as number;
      while (lo < start) {
        const r = x[lo++] as number;
        if (r === r) {
          const d = r - shift;
          s1 -= d;
          s2 -= d * d;
          if (--count === 0) s1 = s2 = 0; // an empty window holds no rounding residue
        }
      }
      if (mean !== undefined) mean[i] = count > 0 ? shift + s1 / count : NaN;
      if (std !== undefined) {
        const m2 = s2 - (s1 * s1) / count;
        std[i] = count > 1 ? Math.sqrt(m2 > 0 ? m2 / (count - 1) : 0) : NaN;
      }
    }
  }
}

let inverses = new Float64Array(1);

/**
 * 1/k for k = 0..m (0 at k = 0), grown on demand and shared: a window of the last w rows of n holds
 * at most min(w, n) values, so its mean and variance take a product with the table instead of a
 * division (two divisions a row fewer, the critical cost of the mean/std loop).
 */
function inversesUpTo(m: number): Float64Array {
  if (inverses.length <= m) {
    const t = new Float64Array(Math.max(m + 1, 2 * inverses.length));
    for (let k = 1; k < t.length; k++) t[k] = 1 / k;
    inverses = t;
  }
  return inverses;
}

/**
 * `gappyMeanStd` for windows of the last `w` rows (count windows, time windows on regular
 * sampling): the row leaving is i - w, with no loop inside the row loop (V8 optimises the flat
 * loop better: ~20 % less time measured). The same sums in the same order; the mean and the
 * variance multiply by 1/k from a table where `gappyMeanStd` divides (within a unit in the last
 * place; mean/std 28 % less time, measured over 10M readings with 5 % NaN, windows 60 and 600).
 */
export function gappyFixedMeanStd(
  x: Float64Array,
  w: number,
  mean: Float64Array | undefined,
  std: Float64Array | undefined,
): void {
  if (std === undefined) {
    if (mean !== undefined) gappyFixedMean(x, w, mean);
    return;
  }
  const n = x.length;
  const inv = inversesUpTo(Math.min(w, n)); // a count window may be far longer than the series
  let s1 = 0;
  let s2 = 0;
  let count = 0;
  let lo = 0;
  let shift = presentIn(x, 0, Math.min(n, BLOCK));
  for (let b = 0; b < n; b += BLOCK) {
    const end = Math.min(n, b + BLOCK);
    if (b > 0) {
      lo = b - w + 1 > 0 ? b - w + 1 : 0;
      shift = presentIn(x, lo, end);
      s1 = s2 = 0;
      count = 0;
      for (let j = lo; j < b; j++) {
        const v = x[j] as number;
        if (v === v) {
          const d = v - shift;
          s1 += d;
          s2 += d * d;
          count++;
        }
      }
    }
    for (let i = b; i < end; i++) {
      const v = x[i] as number;
      if (v === v) {
        const d = v - shift;
        s1 += d;
        s2 += d * d;
        count++;
      }
      const j = i - w; // leaves the window, if the block's sums hold it
      if (j >= lo) {
        const r = x[j] as number;
        if (r === r) {
          const d = r - shift;
          s1 -= d;
          s2 -= d * d;
          if (--count === 0) s1 = s2 = 0;
        }
      }
      const rc = inv[count] as number;
      if (mean !== undefined) mean[i] = count > 0 ? shift + s1 * rc : NaN;
      const m2 = s2 - s1 * s1 * rc;
      std[i] = count > 1 ? Math.sqrt(m2 > 0 ? m2 * (inv[count - 1] as number) : 0) : NaN;
    }
  }
}

/**
 * `gappyFixedMeanStd` with the mean alone: the same sum of shifted values, count, blocks and table
 * of 1/k in the same order (the same numbers, bit for bit), without the squares and the per-row
 * branch on the std output, which took half the time (measured: 0.09 s against 0.19 s for two
 * windows over 10M readings with 5 % NaN).
 */
function gappyFixedMean(x: Float64Array, w: number, mean: Float64Array): void {
  const n = x.length;
  const inv = inversesUpTo(Math.min(w, n)); // a count window may be far longer than the series
  let s1 = 0;
  let count = 0;
  let lo = 0;
  let shift = presentIn(x, 0, Math.min(n, BLOCK));
  for (let b = 0; b < n; b += BLOCK) {
    const end = Math.min(n, b + BLOCK);
    if (b > 0) {
      lo = b - w + 1 > 0 ? b - w + 1 : 0;
      shift = presentIn(x, lo, end);
      s1 = 0;
      count = 0;
      for (let j = lo; j < b; j++) {
        const v = x[j] as number;
        if (v === v) {
          s1 += v - shift;
          count++;
        }
      }
    }
    // Rows whose leaving row i - w is before the block's sums (nothing leaves), then the rest (row
    // i - w always leaves): two flat loops, no branch on it per row.
    const mid = Math.min(end, lo + w);
    let i = b;
    for (; i < mid; i++) {
      const v = x[i] as number;
      if (v === v) {
        s1 += v - shift;
        count++;
      }
      mean[i] = count > 0 ? shift + s1 * (inv[count] as number) : NaN;
    }
    for (; i < end; i++) {
      const v = x[i] as number;
      if (v === v) {
        s1 += v - shift;
        count++;
      }
      const r = x[i - w] as number;
      if (r === r) {
        s1 -= r - shift;
        if (--count === 0) s1 = 0;
      }
      mean[i] = count > 0 ? shift + s1 * (inv[count] as number) : NaN;
    }
  }
}

let suf = new Float64Array(0);

/**
 * Minimum (sign 1) or maximum (sign -1) over the last w rows with missing values: van Herk /
 * Gil-Werman on sign * x with NaN read as +Infinity, and a running count of the values present so
 * that a window with none gives NaN (not an infinity).
 */
export function gappyFixedExtreme(x: Float64Array, w: number, out: Float64Array, sign: 1 | -1): Float64Array {
  const n = x.length;
  if (suf.length < n) suf = new Float64Array(n);
  const q = suf;
  for (let b = 0; b < n; b += w) {
    let acc = Infinity;
    for (let i = Math.min(b + w, n) - 1; i >= b; i--) {
      const v = x[i] as number;
      const k = v === v ? sign * v : Infinity;
      acc = k < acc ? k : acc;
      q[i] = acc;
    }
  }
  let count = 0;
  for (let b = 0; b < n; b += w) {
    const end = Math.min(b + w, n);
    let acc = Infinity;
    if (b === 0) {
      for (let i = 0; i < end; i++) {
        const v = x[i] as number;
        if (v === v) {
          count++;
          const k = sign * v;
          acc = k < acc ? k : acc;
        }
        out[i] = count > 0 ? sign * acc : NaN;
      }
      continue;
    }
    for (let i = b; i < end; i++) {
      const v = x[i] as number;
      if (v === v) {
        count++;
        const k = sign * v;
        acc = k < acc ? k : acc;
      }
      const r = x[i - w] as number;
      if (r === r) count--;
      const s = q[i - w + 1] as number;
      out[i] = count > 0 ? sign * (s < acc ? s : acc) : NaN;
    }
  }
  return out;
}

let sufHi = new Float64Array(0);

/**
 * `gappyFixedExtreme` for the minimum and the maximum at once: the same two passes, one read of
 * each value for both (the rolling statistics ask for both), and no count of the values present:
 * the two extremes together tell an empty window (153 ms against 190 ms with the count, into reused
 * outputs, over 10M readings with 5 % NaN, windows 60 and 600).
 */
export function gappyFixedMinMax(x: Float64Array, w: number, lo: Float64Array, hi: Float64Array): void {
  const n = x.length;
  if (suf.length < n) suf = new Float64Array(n);
  if (sufHi.length < n) sufHi = new Float64Array(n);
  const qlo = suf;
  const qhi = sufHi;
  for (let b = 0; b < n; b += w) {
    let mn = Infinity;
    let mx = -Infinity;
    for (let i = Math.min(b + w, n) - 1; i >= b; i--) {
      const v = x[i] as number;
      // NaN fails both comparisons: it moves neither extreme
      mn = v < mn ? v : mn;
      mx = v > mx ? v : mx;
      qlo[i] = mn;
      qhi[i] = mx;
    }
  }
  // A window holds a value iff its minimum is below +Infinity or its maximum above -Infinity (a
  // value of +Infinity alone raises the maximum): no count of the values present is needed, nor
  // a read of the row leaving. NaN fails every comparison and moves neither extreme.
  for (let b = 0; b < n; b += w) {
    const end = Math.min(b + w, n);
    let mn = Infinity;
    let mx = -Infinity;
    if (b === 0) {
      for (let i = 0; i < end; i++) {
        const v = x[i] as number;
        mn = v < mn ? v : mn;
        mx = v > mx ? v : mx;
        const none = mn === Infinity && mx === -Infinity;
        lo[i] = none ? NaN : mn;
        hi[i] = none ? NaN : mx;
      }
      continue;
    }
    for (let i = b; i < end; i++) {
      const v = x[i] as number;
      mn = v < mn ? v : mn;
      mx = v > mx ? v : mx;
      const a = qlo[i - w + 1] as number;
      const c = qhi[i - w + 1] as number;
      const l = a < mn ? a : mn;
      const h = c > mx ? c : mx;
      const none = l === Infinity && h === -Infinity;
      lo[i] = none ? NaN : l;
      hi[i] = none ? NaN : h;
    }
  }
}
