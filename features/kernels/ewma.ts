/**
 * Exponentially weighted moving average with a half-life in time, for irregular sampling: a value
 * arriving Δt after the previous valid one gets weight 1 - 2^(-Δt / halfLife). NaN is skipped (the
 * average carries over); NaN until the first valid value. Equal timestamps get weight 0 after the
 * first (Δt = 0): the first reading at an instant stands. Not windowed: it remembers all history,
 * with weights halving every half-life.
 */
export function ewma(t: Float64Array, x: Float64Array, halfLife: number, out: Float64Array): Float64Array {
  const k = -Math.LN2 / halfLife;
  let s = NaN;
  let tPrev = 0;
  for (let i = 0; i < x.length; i++) {
    const v = x[i] as number;
    if (v === v) {
      if (s !== s) s = v;
      else s += (1 - Math.exp(k * ((t[i] as number) - tPrev))) * (v - s);
      tPrev = t[i] as number;
    }
    out[i] = s;
  }
  return out;
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
