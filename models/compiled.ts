/**
 * A forest compiled into flat typed arrays (all trees' nodes back to back): feature index,
 * threshold, children, leaf outputs. Prediction walks `x[feature] > threshold ? right : left`
 * (NaN goes left, as in training) with no objects on the way: the form scoring uses.
 */
import type { Forest } from './forest.ts';

export interface CompiledForest {
  readonly task: Forest['task'];
  readonly features: number;
  readonly nOut: number;
  readonly trees: number;
  readonly roots: Int32Array;
  readonly feature: Int32Array;
  readonly threshold: Float64Array;
  readonly left: Int32Array;
  readonly right: Int32Array;
  readonly value: Float64Array;
  /**
   * [feature, left child] per node, interleaved (right = left + 1, as trees allocate children in
   * pairs): the walk reads one pair and one threshold per node, integers staying integers.
   */
  readonly links: Int32Array;
}

export function compileForest(forest: Forest): CompiledForest {
  const total = forest.trees.reduce((s, t) => s + t.feature.length, 0);
  const nOut = forest.task === 'classification' ? forest.classes : 1;
  const roots = new Int32Array(forest.trees.length);
  const feature = new Int32Array(total);
  const threshold = new Float64Array(total);
  const left = new Int32Array(total);
  const right = new Int32Array(total);
  const value = new Float64Array(total * nOut);
  let off = 0;
  forest.trees.forEach((t, i) => {
    roots[i] = off;
    const m = t.feature.length;
    for (let j = 0; j < m; j++) {
      feature[off + j] = t.feature[j] as number;
      threshold[off + j] = t.threshold[j] as number;
      left[off + j] = (t.left[j] as number) < 0 ? -1 : off + (t.left[j] as number);
      right[off + j] = (t.right[j] as number) < 0 ? -1 : off + (t.right[j] as number);
    }
    value.set(t.value, off * nOut);
    off += m;
  });
  const links = new Int32Array(total * 2);
  for (let i = 0; i < total; i++) {
    if ((feature[i] as number) >= 0 && (right[i] as number) !== (left[i] as number) + 1) {
      throw new Error('compileForest: children are not allocated in pairs');
    }
    links[i * 2] = feature[i] as number;
    links[i * 2 + 1] = left[i] as number;
  }
  return {
    task: forest.task,
    features: forest.features,
    nOut,
    trees: forest.trees.length,
    roots,
    feature,
    threshold,
    left,
    right,
    value,
    links,
  };
}

/**
 * The leaf a row reaches from `node`: `x[base + feature] > threshold` goes right (left + 1), else
 * left; NaN compares false and goes left, as in training. The one tree walk every predictor uses.
 */
export function leafOf(c: CompiledForest, node: number, x: ArrayLike<number>, base = 0): number {
  const { links, threshold } = c;
  let f = links[node * 2] as number;
  while (f >= 0) {
    node = (links[node * 2 + 1] as number) + ((x[base + f] as number) > (threshold[node] as number) ? 1 : 0);
    f = links[node * 2] as number;
  }
  return node;
}

/**
 * Predicts one row (`x[f]` = feature f) into `out` (nOut values: class probabilities or the value).
 * Allocation-free: pass the same `out` every call.
 */
export function predictRow(c: CompiledForest, x: ArrayLike<number>, out: Float64Array): Float64Array {
  const { roots, value, nOut } = c;
  out.fill(0);
  for (let t = 0; t < c.trees; t++) {
    const base = leafOf(c, roots[t] as number, x) * nOut;
    for (let k = 0; k < nOut; k++) out[k] = (out[k] as number) + (value[base + k] as number);
  }
  for (let k = 0; k < nOut; k++) out[k] = (out[k] as number) / c.trees;
  return out;
}

/** Every tree's prediction for one row (regression intervals from their spread). */
export function treePredictions(
  c: CompiledForest,
  x: ArrayLike<number>,
  out: Float64Array = new Float64Array(c.trees),
): Float64Array {
  for (let t = 0; t < c.trees; t++)
    out[t] = c.value[leafOf(c, c.roots[t] as number, x) * c.nOut + (c.nOut - 1)] as number;
  return out;
}

/**
 * Batch prediction over feature columns (`columns[f][r]`): the positive-class probability for
 * binary classification, the value for regression. Tree-major: each tree walks every row while its
 * nodes are hot in cache, over a row-major copy of the input.
 */
export function predictColumns(c: CompiledForest, columns: readonly Float64Array[]): Float64Array {
  const n = columns[0]?.length ?? 0;
  const p = c.features;
  const rows = new Float64Array(n * p);
  columns.forEach((col, f) => {
    for (let r = 0; r < n; r++) rows[r * p + f] = col[r] as number;
  });
  const out = new Float64Array(n);
  const { roots, value, nOut } = c;
  const k = nOut - 1;
  for (let t = 0; t < c.trees; t++) {
    const root = roots[t] as number;
    for (let r = 0; r < n; r++)
      out[r] = (out[r] as number) + (value[leafOf(c, root, rows, r * p) * nOut + k] as number);
  }
  for (let r = 0; r < n; r++) out[r] = (out[r] as number) / c.trees;
  return out;
}
