/**
 * Fast paths for dense series (no NaN in the slice): the sliding sums have no missing-value
 * branches, no Kahan chain and no per-row division on the critical path, which is what keeps a
 * rolling mean near memory speed. Rounding is bounded by rebuilding the sums from the window at the
 * start of every block of BLOCK rows, re-shifted to a value inside it (so a drifting level does not
 * eat precision). The rebuild sits outside the inner loop: a nested loop inside a hot loop stops
 * V8 from optimising it (measured: 3x slower). Results agree with the general kernels (tests).
 */

const BLOCK = 4096;

export function isDense(x: Float64Array): boolean {
  for (let i = 0; i < x.length; i++) if ((x[i] as number) !== (x[i] as number)) return false;
  return true;
}

/**
 * The window width if every window is the last `w` rows (count windows; time windows on regular
 * sampling), else 0. Those take the fixed-width loops, which index `i - w` directly.
 */
export function fixedWidth(starts: Int32Array): number {
  const n = starts.length;
  if (n === 0) return 0;
  const w = n - (starts[n - 1] as number);
  for (let i = 0; i < n; i++) if ((starts[i] as number) !== (i - w + 1 > 0 ? i - w + 1 : 0)) return 0;
  return w;
}

export function fixedMean(x: Float64Array, w: number, out: Float64Array): Float64Array {
  const n = x.length;
  const m = Math.min(w, n);
  let shift = n > 0 ? (x[0] as number) : 0;
  let sum = 0;
  for (let i = 0; i < m; i++) {
    sum += (x[i] as number) - shift;
    out[i] = shift + sum / (i + 1);
  }
  const inv = 1 / w;
  for (let b = m; b < n; b += BLOCK) {
    if (b > m) {
      shift = x[b - w] as number;
      sum = 0;
      for (let j = b - w; j < b; j++) sum += (x[j] as number) - shift;
    }
    const end = Math.min(n, b + BLOCK);
    for (let i = b; i < end; i++) {
      sum += (x[i] as number) - (x[i - w] as number);
      out[i] = shift + sum * inv;
    }
  }
  return out;
}

/**
 * Welford's fixed-size update: one add and one remove per step, multiplications only. The mean is
 * kept as shift + (running sum of shifted values) / w: a sum of small numbers, so its rounding
 * does not random-walk into M2 the way `mean += (a - r) / w` at the level's magnitude does.
 */
export function fixedStd(x: Float64Array, w: number, out: Float64Array): Float64Array {
  const n = x.length;
  const m = Math.min(w, n);
  let mean = 0;
  let m2 = 0;
  for (let i = 0; i < m; i++) {
    const v = x[i] as number;
    const d = v - mean;
    mean += d / (i + 1);
    m2 += d * (v - mean);
    out[i] = i > 0 ? Math.sqrt(m2 > 0 ? m2 / i : 0) : NaN;
  }
  const inv = 1 / w;
  const invDof = w > 1 ? 1 / (w - 1) : NaN;
  let shift = 0;
  let s1 = 0;
  for (let b = m; b < n; b += BLOCK) {
    shift = x[b - w] as number;
    s1 = 0;
    for (let j = b - w; j < b; j++) s1 += (x[j] as number) - shift;
    mean = shift + s1 * inv;
    m2 = 0;
    for (let j = b - w; j < b; j++) m2 += ((x[j] as number) - mean) * ((x[j] as number) - mean);
    const end = Math.min(n, b + BLOCK);
    for (let i = b; i < end; i++) {
      const a = x[i] as number;
      const r = x[i - w] as number;
      const prev = mean;
      s1 += a - r;
      mean = shift + s1 * inv;
      m2 += (a - r) * (a - mean + r - prev);
      out[i] = Math.sqrt(m2 > 0 ? m2 * invDof : 0);
    }
  }
  return out;
}

let suf = new Float64Array(0);
function scratch(n: number): void {
  if (suf.length < n) suf = new Float64Array(n);
}

/**
 * van Herk / Gil-Werman: per block of w rows, running minima backward (stored) and forward (on the
 * fly); a window spans at most two blocks, so its minimum is one comparison of a suffix and a
 * prefix. Two passes, and no branches that depend on the data, unlike a deque on noisy readings.
 */
export function fixedMin(x: Float64Array, w: number, out: Float64Array): Float64Array {
  const n = x.length;
  scratch(n);
  const q = suf; // a local, not the module binding: V8 reloads those on every iteration
  // Pass 1: minima from each row to the end of its block of w rows.
  for (let b = 0; b < n; b += w) {
    let acc = Infinity;
    for (let i = Math.min(b + w, n) - 1; i >= b; i--) {
      const v = x[i] as number;
      acc = v < acc ? v : acc;
      q[i] = acc;
    }
  }
  // Pass 2: running minimum since the block start, combined with the suffix of the previous block.
  for (let b = 0; b < n; b += w) {
    const end = Math.min(b + w, n);
    let acc = Infinity;
    if (b === 0) {
      for (let i = 0; i < end; i++) {
        const v = x[i] as number;
        acc = v < acc ? v : acc;
        out[i] = acc;
      }
      continue;
    }
    for (let i = b; i < end; i++) {
      const v = x[i] as number;
      acc = v < acc ? v : acc;
      const s = q[i - w + 1] as number;
      out[i] = s < acc ? s : acc;
    }
  }
  return out;
}

export function fixedMax(x: Float64Array, w: number, out: Float64Array): Float64Array {
  const n = x.length;
  scratch(n);
  const q = suf;
  for (let b = 0; b < n; b += w) {
    let acc = -Infinity;
    for (let i = Math.min(b + w, n) - 1; i >= b; i--) {
      const v = x[i] as number;
      acc = v > acc ? v : acc;
      q[i] = acc;
    }
  }
  for (let b = 0; b < n; b += w) {
    const end = Math.min(b + w, n);
    let acc = -Infinity;
    if (b === 0) {
      for (let i = 0; i < end; i++) {
        const v = x[i] as number;
        acc = v > acc ? v : acc;
        out[i] = acc;
      }
      continue;
    }
    for (let i = b; i < end; i++) {
      const v = x[i] as number;
      acc = v > acc ? v : acc;
      const s = q[i - w + 1] as number;
      out[i] = s > acc ? s : acc;
    }
  }
  return out;
}

/** Rolling mean over arbitrary window starts (irregular time windows) on a dense series. */
export function denseMean(x: Float64Array, starts: Int32Array, out: Float64Array): Float64Array {
  const n = x.length;
  let sum = 0;
  let lo = 0;
  let shift = n > 0 ? (x[0] as number) : 0;
  for (let b = 0; b < n; b += BLOCK) {
    if (b > 0) {
      lo = starts[b] as number;
      shift = x[lo] as number;
      sum = 0;
      for (let j = lo; j < b; j++) sum += (x[j] as number) - shift;
    }
    const end = Math.min(n, b + BLOCK);
    for (let i = b; i < end; i++) {
      const start = starts[i] as number;
      sum += (x[i] as number) - shift;
      while (lo < start) sum -= (x[lo++] as number) - shift;
      out[i] = shift + sum / (i - start + 1);
    }
  }
  return out;
}

export function denseStd(x: Float64Array, starts: Int32Array, out: Float64Array): Float64Array {
  const n = x.length;
  let s1 = 0;
  let s2 = 0;
  let lo = 0;
  let shift = n > 0 ? (x[0] as number) : 0;
  for (let b = 0; b < n; b += BLOCK) {
    if (b > 0) {
      lo = starts[b] as number;
      shift = x[lo] as number;
      s1 = s2 = 0;
      for (let j = lo; j < b; j++) {
        const d = (x[j] as number) - shift;
        s1 += d;
        s2 += d * d;
      }
    }
    const end = Math.min(n, b + BLOCK);
    for (let i = b; i < end; i++) {
      const start = starts[i] as number;
      const d = (x[i] as number) - shift;
      s1 += d;
      s2 += d * d;
      while (lo < start) {
        const r = (x[lo++] as number) - shift;
        s1 -= r;
        s2 -= r * r;
      }
      const k = i - start + 1;
      const m2 = s2 - (s1 * s1) / k;
      out[i] = k > 1 ? Math.sqrt(m2 > 0 ? m2 / (k - 1) : 0) : NaN;
    }
  }
  return out;
}

/** Least-squares slope per second on a dense series; NaN when all times in a window coincide. */
export function denseSlope(
  t: Float64Array,
  x: Float64Array,
  starts: Int32Array,
  out: Float64Array,
  resolution: (n: number, meanT: number) => number,
): Float64Array {
  const n = x.length;
  let st = 0;
  let sx = 0;
  let stt = 0;
  let stx = 0;
  let lo = 0;
  let t0 = n > 0 ? (t[0] as number) : 0;
  let x0 = n > 0 ? (x[0] as number) : 0;
  for (let b = 0; b < n; b += BLOCK) {
    if (b > 0) {
      lo = starts[b] as number;
      t0 = t[lo] as number;
      x0 = x[lo] as number;
      st = sx = stt = stx = 0;
      for (let j = lo; j < b; j++) {
        const a = (t[j] as number) - t0;
        const c = (x[j] as number) - x0;
        st += a;
        sx += c;
        stt += a * a;
        stx += a * c;
      }
    }
    const end = Math.min(n, b + BLOCK);
    for (let i = b; i < end; i++) {
      const start = starts[i] as number;
      const a = (t[i] as number) - t0;
      const c = (x[i] as number) - x0;
      st += a;
      sx += c;
      stt += a * a;
      stx += a * c;
      while (lo < start) {
        const ar = (t[lo] as number) - t0;
        const cr = (x[lo] as number) - x0;
        lo++;
        st -= ar;
        sx -= cr;
        stt -= ar * ar;
        stx -= ar * cr;
      }
      const k = i - start + 1;
      const ctt = stt - (st * st) / k;
      out[i] = k > 1 && ctt > resolution(k, t0 + st / k) ? (stx - (st * sx) / k) / ctt : NaN;
    }
  }
  return out;
}
