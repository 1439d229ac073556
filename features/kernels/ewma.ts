/**
 * Exponentially weighted moving average with a half-life in time, for irregular sampling: a value
 * arriving Δt after the previous valid one gets weight 1 - 2^(-Δt / halfLife). NaN is skipped (the
 * average carries over); NaN until the first valid value. Equal timestamps get weight 0 after the
 * first (Δt = 0): the first reading at an instant stands. Not windowed: it remembers all history,
 * with weights halving every half-life.
 */
export function ewma(
  t: Float64Array,
  x: Float64Array,
  halfLife: number,
  out: Float64Array,
  from = 0,
): Float64Array {
  const k = -Math.LN2 / halfLife;
  let s = NaN;
  let tPrev = 0;
  // Regular sampling repeats the same Δt: reuse its weight instead of calling exp per row.
  let lastDt = NaN;
  let weight = 0;
  for (let i = from; i < x.length; i++) {
    const v = x[i] as number;
    if (v === v) {
      if (s !== s) s = v;
      else {
        const dt = (t[i] as number) - tPrev;
        if (dt !== lastDt) {
          lastDt = dt;
          weight = 1 - Math.exp(k * dt);
        }
        s += weight * (v - s);
      }
      tPrev = t[i] as number;
    }
    out[i] = s;
  }
  return out;
}

/**
 * The EWMA at the last row only. History older than 60 half-lives weighs < 2^-60 and is skipped,
 * which changes the result by less than rounding does. A dense, regularly sampled tail is a dot
 * product with geometric weights, summed with four accumulators (no serial dependency).
 */
export function ewmaLast(t: Float64Array, x: Float64Array, halfLife: number): number {
  const n = x.length;
  if (n === 0) return NaN;
  const horizon = (t[n - 1] as number) - 60 * halfLife;
  let from = n - 1;
  while (from > 0 && (t[from - 1] as number) >= horizon) from--;
  const fast = geometricTail(t, x, from, halfLife);
  if (fast === fast) return fast;
  // Irregular or gappy tail: the recursion itself, from where older rows stop weighing anything.
  const s = ewmaFinal(t, x, halfLife, from);
  // A tail without any valid value carries the older state unchanged: compute it in full.
  return s === s || from === 0 ? s : ewmaFinal(t, x, halfLife, 0);
}

/** `ewma(...)[n - 1]` without the output array: the same arithmetic, so the same bits. */
export function ewmaFinal(t: Float64Array, x: Float64Array, halfLife: number, from = 0): number {
  const k = -Math.LN2 / halfLife;
  let s = NaN;
  let tPrev = 0;
  let lastDt = NaN;
  let weight = 0;
  for (let i = from; i < x.length; i++) {
    const v = x[i] as number;
    if (v !== v) continue;
    if (s !== s) s = v;
    else {
      const dt = (t[i] as number) - tPrev;
      if (dt !== lastDt) {
        lastDt = dt;
        weight = 1 - Math.exp(k * dt);
      }
      s += weight * (v - s);
    }
    tPrev = t[i] as number;
  }
  return s;
}

/**
 * s = b^(m-1) x_from + Σ_{i>from} a b^(n-1-i) x_i for a dense tail with one Δt (a = 1 - b), else
 * NaN. Four interleaved partial sums, walking back from the last row with weights stepping by b^4.
 */
function geometricTail(t: Float64Array, x: Float64Array, from: number, halfLife: number): number {
  const n = x.length;
  const m = n - from;
  if (m < 8) return NaN;
  const dt = (t[from + 1] as number) - (t[from] as number);
  if (!(dt > 0)) return NaN;
  for (let i = from + 1; i < n; i++)
    if ((t[i] as number) - (t[i - 1] as number) !== dt || (x[i] as number) !== (x[i] as number)) return NaN;
  if ((x[from] as number) !== (x[from] as number)) return NaN;
  return geometricEwma(x, from, Math.exp((-Math.LN2 / halfLife) * dt));
}

/**
 * `ewmaFinal` at the last row of regularly sampled tails with missing values, without exp: over
 * the values present v_1 .. v_m (v_m the last, at row L), s = v_m + Σ_(j<m) b^(L - i_j) (v_j - v_(j+1)),
 * which is the recursion s += (1 - b^Δ)(v - s) unrolled (Δ rows between values present, b the
 * decay per row). Several decays at once (one per window, each from its own row `from`),
 * in one backward pass over the longest tail, four windows per pass with their state in locals;
 * NaN for a window with no value present in its tail.
 */
export function presentGeometricEwmas(
  x: Float64Array,
  froms: readonly number[],
  bs: readonly number[],
): number[] {
  const out: number[] = new Array<number>(froms.length).fill(NaN);
  // Windows by their first row, earliest first: walking back, the windows still open are always
  // the first of their group, and the pass carries only those (over a day at 1 s, a 1 min
  // half-life's window ends 3,600 rows back and a 10 min one's 36,000; the 1 h and 24 h ones go on).
  const byFrom = froms.map((_, k) => k).sort((p, q) => (froms[p] as number) - (froms[q] as number));
  for (let g = 0; g < byFrom.length; g += 4) {
    const idx = byFrom.slice(g, g + 4);
    const f = idx.map((k) => froms[k] as number);
    const lowest = f[0] as number;
    let last = x.length - 1;
    while (last >= lowest && (x[last] as number) !== (x[last] as number)) last--;
    if (last < lowest) continue;
    const v0 = x[last] as number;
    // state: p (weight of the next value present) and s per window, and the value after it.
    const st = Float64Array.of(1, 1, 1, 1, v0, v0, v0, v0, v0);
    const b = Float64Array.from([0, 1, 2, 3], (j) => (j < idx.length ? (bs[idx[j] as number] as number) : 0));
    // Segments between the windows' starts, latest first: a window ends when its start is passed.
    const ends = [...new Set(f)].sort((p, q) => q - p);
    let hi = last - 1;
    for (const end of ends) {
      let open = 0;
      while (open < f.length && (f[open] as number) <= end) open++;
      if (hi >= end) {
        // Two open or fewer: the two-window loop (a second slot past its window changes nothing read).
        if (open > 2) presentEwmaSegment(x, hi, end, st, b);
        else presentEwmaSegment2(x, hi, end, st, b);
      }
      hi = Math.min(hi, end - 1);
      idx.forEach((k, j) => {
        if ((froms[k] as number) !== end) return;
        out[k] = last >= end ? (st[4 + j] as number) : NaN;
      });
    }
  }
  return out;
}

/** Rows hi down to lo of `presentGeometricEwmas`' pass, for four windows at once. */
function presentEwmaSegment(
  x: Float64Array,
  hi: number,
  lo: number,
  st: Float64Array,
  b: Float64Array,
): void {
  const b0 = b[0] as number;
  const b1 = b[1] as number;
  const b2 = b[2] as number;
  const b3 = b[3] as number;
  let p0 = st[0] as number;
  let p1 = st[1] as number;
  let p2 = st[2] as number;
  let p3 = st[3] as number;
  let s0 = st[4] as number;
  let s1 = st[5] as number;
  let s2 = st[6] as number;
  let s3 = st[7] as number;
  let next = st[8] as number;
  for (let i = hi; i >= lo; i--) {
    p0 *= b0;
    p1 *= b1;
    p2 *= b2;
    p3 *= b3;
    const v = x[i] as number;
    if (v === v) {
      const d = v - next;
      s0 += p0 * d;
      s1 += p1 * d;
      s2 += p2 * d;
      s3 += p3 * d;
      next = v;
    }
  }
  st[0] = p0;
  st[1] = p1;
  st[2] = p2;
  st[3] = p3;
  st[4] = s0;
  st[5] = s1;
  st[6] = s2;
  st[7] = s3;
  st[8] = next;
}

/** `presentEwmaSegment` while at most the first two windows are open. */
function presentEwmaSegment2(
  x: Float64Array,
  hi: number,
  lo: number,
  st: Float64Array,
  b: Float64Array,
): void {
  const b0 = b[0] as number;
  const b1 = b[1] as number;
  let p0 = st[0] as number;
  let p1 = st[1] as number;
  let s0 = st[4] as number;
  let s1 = st[5] as number;
  let next = st[8] as number;
  for (let i = hi; i >= lo; i--) {
    p0 *= b0;
    p1 *= b1;
    const v = x[i] as number;
    if (v === v) {
      const d = v - next;
      s0 += p0 * d;
      s1 += p1 * d;
      next = v;
    }
  }
  st[0] = p0;
  st[1] = p1;
  st[4] = s0;
  st[5] = s1;
  st[8] = next;
}

/** Count-based EWMA at the last row; values more than ~40/alpha rows back weigh < 1e-17. */
export function ewmaSpanLast(x: Float64Array, span: number): number {
  const alpha = 2 / (span + 1);
  const n = x.length;
  const reach = alpha >= 1 ? 1 : Math.ceil(Math.log(1e-17) / Math.log(1 - alpha)) + 1;
  let s = NaN;
  const from = Math.max(0, n - reach);
  for (let i = from; i < n; i++) {
    const v = x[i] as number;
    if (v === v) s = s !== s ? v : s + alpha * (v - s);
  }
  return s === s || from === 0 ? s : (ewmaSpan(x, span, new Float64Array(n))[n - 1] as number);
}

/**
 * Count-based EWMA (pandas `ewm(span=N, adjust=False, ignore_na=True)`): weight 2/(N+1) per valid
 * value, whatever the time between them. Used with count windows, whose width is in rows.
 */
export function ewmaSpan(x: Float64Array, span: number, out: Float64Array): Float64Array {
  const alpha = 2 / (span + 1);
  let s = NaN;
  for (let i = 0; i < x.length; i++) {
    const v = x[i] as number;
    if (v === v) s = s !== s ? v : s + alpha * (v - s);
    out[i] = s;
  }
  return out;
}

/**
 * The EWMA recursion s_i = b s_(i-1) + (1 - b) x_i seeded with x_from, evaluated at the last row as
 * a dot product with geometric weights: four interleaved partial sums (no serial dependency).
 */
export function geometricEwma(x: Float64Array, from: number, b: number): number {
  const n = x.length;
  const a = 1 - b;
  const b4 = b * b * b * b;
  let w0 = a;
  let w1 = a * b;
  let w2 = a * b * b;
  let w3 = a * b * b * b;
  let acc0 = 0;
  let acc1 = 0;
  let acc2 = 0;
  let acc3 = 0;
  let i = n - 1;
  for (; i - 3 > from; i -= 4) {
    acc0 += w0 * (x[i] as number);
    acc1 += w1 * (x[i - 1] as number);
    acc2 += w2 * (x[i - 2] as number);
    acc3 += w3 * (x[i - 3] as number);
    w0 *= b4;
    w1 *= b4;
    w2 *= b4;
    w3 *= b4;
  }
  let w = w0;
  let rest = 0;
  for (; i > from; i--) {
    rest += w * (x[i] as number);
    w *= b;
  }
  // Seed row: weight b^(n-1-from), i.e. the weight the next row back would get, divided by a.
  return acc0 + acc1 + acc2 + acc3 + rest + (w / a) * (x[from] as number);
}
