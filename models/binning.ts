/**
 * Features binned once into bytes (up to 256 quantile bins per feature), so split search scans
 * small histograms instead of sorting rows at every node. A bin's upper edge is a real feature
 * value: trees store it as the threshold, and a compiled tree compares raw values (`x <= edge`
 * goes left). Missing values (NaN) fall into bin 0 and go left, at training and at prediction.
 */

export interface Binned {
  readonly rows: number;
  readonly features: number;
  /**
   * codes[r * features + f]: row-major. A node visits its rows once and reads every sampled
   * feature from the same few cache lines; feature-major codes cost a cache miss per (row,
   * feature) in deep nodes, whose rows are scattered (measured: ~10x slower training).
   */
  readonly codes: Uint8Array;
  /** edges[f][b]: largest value in bin b (ascending); a value v is in the first bin with edge >= v. */
  readonly edges: readonly Float64Array[];
}

/** Quantile edges from a sample of at most `sample` valid values per feature. */
export function fitBins(columns: readonly Float64Array[], maxBins = 256, sample = 200_000): Float64Array[] {
  return columns.map((col) => {
    const step = Math.max(1, Math.floor(col.length / sample));
    const buf = new Float64Array(Math.ceil(col.length / step));
    let n = 0;
    for (let i = 0; i < col.length; i += step) {
      const v = col[i] as number;
      if (v === v) buf[n++] = v;
    }
    if (n === 0) return Float64Array.of(Infinity);
    // The typed array's own numeric sort: several times faster than a comparator on a number[]
    // (it placed a quarter of a training run in this function). It orders -0 before 0, which
    // compare equal, so the edges (compared with <=) split the same way.
    const vals = buf.subarray(0, n).sort();
    const distinct: number[] = [];
    for (const v of vals) if (distinct.length === 0 || v !== distinct[distinct.length - 1]) distinct.push(v);
    if (distinct.length <= maxBins - 1) return Float64Array.from([...distinct.slice(0, -1), Infinity]);
    const edges: number[] = [];
    for (let b = 1; b < maxBins - 1; b++) {
      const q = vals[Math.min(vals.length - 1, Math.floor((b * vals.length) / (maxBins - 1)))] as number;
      if (edges.length === 0 || q > (edges[edges.length - 1] as number)) edges.push(q);
    }
    edges.push(Infinity);
    return Float64Array.from(edges);
  });
}

/** Bin index of v: the first edge >= v (NaN -> 0). */
export function binOf(edges: Float64Array, v: number): number {
  if (v !== v) return 0;
  let lo = 0;
  let hi = edges.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((edges[mid] as number) >= v) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

export function applyBins(columns: readonly Float64Array[], edges: readonly Float64Array[]): Binned {
  const rows = columns[0]?.length ?? 0;
  const p = columns.length;
  const codes = new Uint8Array(rows * p);
  columns.forEach((col, f) => {
    const e = edges[f] as Float64Array;
    for (let r = 0; r < rows; r++) codes[r * p + f] = binOf(e, col[r] as number);
  });
  return { rows, features: columns.length, codes, edges };
}
