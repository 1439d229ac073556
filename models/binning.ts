/**
 * Features binned once into bytes (up to 256 quantile bins per feature), so split search scans
 * small histograms instead of sorting rows at every node. A bin's upper edge is a real feature
 * value: trees store it as the threshold, and a compiled tree compares raw values (`x <= edge`
 * goes left). Missing values (NaN) fall into bin 0 and go left, at training and at prediction.
 */
import { sortDoubles, sortDoublesWithIndex } from './sort.ts';

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
    // A radix sort of the doubles (models/sort.ts), in the typed array's own order: it orders -0
    // before 0, which compare equal, so the edges (compared with <=) split the same way.
    return edgesOfSorted(sortDoubles(buf.subarray(0, n)), maxBins);
  });
}

/**
 * `fitBins` of several subsets of the rows of the same columns, each subset's edges exactly those
 * of `fitBins` over its rows (in the subset's order, sampled as `fitBins` samples), with one sort
 * of each column for all of them (for each 32 of them): a cross-fitted fit bins the same columns for
 * each of its forests (one per block of rows, and one on all of them). `subsets[s]` lists row
 * positions, none twice. Answers edges[s][f].
 */
export function fitBinsOfSubsets(
  columns: readonly Float64Array[],
  subsets: readonly (readonly number[])[],
  maxBins = 256,
  sample = 200_000,
): Float64Array[][] {
  if (subsets.length > 32) {
    // A bit of each row's mask per subset: more than 32 go in groups of 32, a sort per group.
    const out: Float64Array[][] = [];
    for (let i = 0; i < subsets.length; i += 32)
      out.push(...fitBinsOfSubsets(columns, subsets.slice(i, i + 32), maxBins, sample));
    return out;
  }
  const n = columns[0]?.length ?? 0;
  // Bit s of member[r]: row r is among subset s's sampled rows.
  const member = new Uint32Array(n);
  const sizes = subsets.map((rows, s) => {
    const step = Math.max(1, Math.floor(rows.length / sample));
    let size = 0;
    for (let k = 0; k < rows.length; k += step) {
      const r = rows[k] as number;
      if (!(r >= 0 && r < n && Number.isInteger(r)))
        throw new RangeError(`subset ${s}: row ${r} is not a row of columns of ${n}`);
      if ((member[r] as number) & (1 << s)) throw new RangeError(`subset ${s}: row ${r} is listed twice`);
      member[r] = ((member[r] as number) | (1 << s)) >>> 0;
      size++;
    }
    return size;
  });
  const values = new Float64Array(n);
  const index = new Uint32Array(n);
  const bufs = sizes.map((size) => new Float64Array(size));
  const filled = new Int32Array(subsets.length);
  const edges: Float64Array[][] = subsets.map(() => []);
  for (const col of columns) {
    if (col.length !== n) throw new RangeError(`columns of ${col.length} and ${n} rows`);
    // The valid values of rows in any subset, sorted once with their rows...
    let m = 0;
    for (let r = 0; r < n; r++) {
      const v = col[r] as number;
      if (v === v && member[r] !== 0) {
        values[m] = v;
        index[m++] = r;
      }
    }
    sortDoublesWithIndex(values.subarray(0, m), index.subarray(0, m));
    // ...then dealt, in that order, to the subsets each row is in: each gets its own values sorted.
    filled.fill(0);
    for (let k = 0; k < m; k++) {
      const v = values[k] as number;
      for (let bits = member[index[k] as number] as number; bits !== 0; bits &= bits - 1) {
        const s = 31 - Math.clz32(bits & -bits);
        (bufs[s] as Float64Array)[filled[s] as number] = v;
        filled[s] = (filled[s] as number) + 1;
      }
    }
    bufs.forEach((buf, s) =>
      (edges[s] as Float64Array[]).push(edgesOfSorted(buf.subarray(0, filled[s]), maxBins)),
    );
  }
  return edges;
}

/** The bin edges of ascending values `vals` (no NaN): up to `maxBins` bins, the last edge +Infinity. */
function edgesOfSorted(vals: Float64Array, maxBins: number): Float64Array {
  const n = vals.length;
  if (n === 0) return Float64Array.of(Infinity);
  // Few distinct values: each but the largest is an edge (the largest's bin is the last).
  let d = 1;
  for (let i = 1; i < n && d <= maxBins - 1; i++) if (vals[i] !== vals[i - 1]) d++;
  if (d <= maxBins - 1) {
    const edges = new Float64Array(d);
    for (let i = 1, k = 0; i < n; i++) if (vals[i] !== vals[i - 1]) edges[k++] = vals[i - 1] as number;
    edges[d - 1] = Infinity;
    return edges;
  }
  const edges: number[] = [];
  for (let b = 1; b < maxBins - 1; b++) {
    const q = vals[Math.min(n - 1, Math.floor((b * n) / (maxBins - 1)))] as number;
    if (edges.length === 0 || q > (edges[edges.length - 1] as number)) edges.push(q);
  }
  edges.push(Infinity);
  return Float64Array.from(edges);
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

/** The columns' codes under `edges`; with `at`, those of the rows at these positions, in that order. */
export function applyBins(
  columns: readonly Float64Array[],
  edges: readonly Float64Array[],
  at?: readonly number[],
): Binned {
  const rows = at?.length ?? columns[0]?.length ?? 0;
  const p = columns.length;
  const codes = new Uint8Array(rows * p);
  const column = new Uint8Array(rows);
  const picked = at === undefined ? undefined : new Float64Array(rows);
  columns.forEach((col, f) => {
    const e = edges[f] as Float64Array;
    let values = col;
    if (at !== undefined && picked !== undefined) {
      for (let k = 0; k < rows; k++) picked[k] = col[at[k] as number] as number;
      values = picked;
    }
    binColumn(values, padded(e), Math.max(0, e.length - 1), column);
    for (let r = 0; r < rows; r++) codes[r * p + f] = column[r] as number;
  });
  return { rows, features: columns.length, codes, edges };
}

/** `edges` grown to a power of two with +Infinity (no value is above it), for `binColumn`. */
function padded(edges: Float64Array): Float64Array {
  let m = 1;
  while (m < edges.length) m <<= 1;
  if (m === edges.length) return edges;
  const out = new Float64Array(m).fill(Infinity);
  out.set(edges);
  return out;
}

/**
 * `binOf` of every value of `col` into `out`, by a search of fixed depth over `edges` (a power of
 * two long): it counts the edges below the value without a branch on the comparison, which a
 * binary search mispredicted half the time (twice as fast over 448 features of 24,000 rows). NaN
 * is below no edge: bin 0. The bin of the largest of `last + 1` real edges caps it, as in `binOf`.
 * Four values are searched side by side: each search is a chain of dependent loads, and four
 * independent chains keep the core busy where one leaves it waiting (1.6x on 90,000 rows).
 */
function binColumn(col: Float64Array, edges: Float64Array, last: number, out: Uint8Array): void {
  const half = edges.length >> 1;
  const n = col.length;
  let r = 0;
  for (; r + 4 <= n; r += 4) {
    const v0 = col[r] as number;
    const v1 = col[r + 1] as number;
    const v2 = col[r + 2] as number;
    const v3 = col[r + 3] as number;
    let l0 = 0;
    let l1 = 0;
    let l2 = 0;
    let l3 = 0;
    for (let step = half; step > 0; step >>= 1) {
      l0 += step * +((edges[l0 + step - 1] as number) < v0);
      l1 += step * +((edges[l1 + step - 1] as number) < v1);
      l2 += step * +((edges[l2 + step - 1] as number) < v2);
      l3 += step * +((edges[l3 + step - 1] as number) < v3);
    }
    // Above every edge (fitBins' last is +Infinity, so only edges from elsewhere): the last bin.
    out[r] = l0 < last ? l0 : last;
    out[r + 1] = l1 < last ? l1 : last;
    out[r + 2] = l2 < last ? l2 : last;
    out[r + 3] = l3 < last ? l3 : last;
  }
  for (; r < n; r++) {
    const v = col[r] as number;
    let lo = 0;
    for (let step = half; step > 0; step >>= 1) lo += step * +((edges[lo + step - 1] as number) < v);
    out[r] = lo < last ? lo : last;
  }
}
