/**
 * A forest compiled into flat typed arrays (all trees' nodes back to back): feature index,
 * threshold, children, leaf outputs. Prediction walks `x[feature] > threshold ? right : left`
 * (NaN goes left, as in training) with no objects on the way: the form scoring uses.
 *
 * Batch and single-row prediction use a second, coded form when the forest fits it (<= 255
 * distinct thresholds per feature, as every forest the engine trains with its default 256 bins,
 * and trees small enough for the node's bits, below). Each input value is first replaced by its
 * code, the number of the forest's thresholds on that feature below it, so `x > threshold` becomes
 * `code > rank` on small integers; each node is one Int32 (left child, feature, rank: 8 bits of
 * rank, then as many bits as the features need, at least 8, and the rest for the left child: up
 * to 256 features, 65,536 nodes per tree; up to 512, 32,768, and so on); leaves loop
 * onto themselves, so every row takes exactly the tree's depth in steps. That makes the walk
 * branch-free (`+(a > b)` compiles to a flag, a ternary to a jump the CPU mispredicts half the
 * time) and lets several rows (batch: forest-kernel.ts, in WebAssembly) or trees (one row, here)
 * walk side by side, their memory loads overlapping: ~6x the plain walk's batch throughput
 * (benchmarks/models.ts). Results are identical, not close: the same leaves, summed in the same
 * order.
 */
import type { Forest } from './forest.ts';
import { predictKernel } from './forest-kernel.ts';

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
  /** The coded form (see the file comment), or null when the forest does not fit it. */
  readonly coded: CodedForest | null;
}

export interface CodedForest {
  /** Per node: (left child - tree root) << shift | feature << 8 | rank; leaves: self << shift | 255. */
  readonly nodes: Int32Array;
  /** Where a node's left child starts: 8 + the bits of the largest feature index (at least 8). */
  readonly shift: number;
  /** A node's feature, shifted down by 8: (1 << (shift - 8)) - 1. */
  readonly featureMask: number;
  /** Per tree: its nodes (a view of `nodes`) and its depth (steps to reach any leaf). */
  readonly treeNodes: readonly Int32Array[];
  readonly depth: Int32Array;
  /** Per group of four trees (0-3, 4-7, ...): the deepest one's depth. */
  readonly groupDepth: Int32Array;
  /** Per feature: its thresholds ascending, padded to 256 with +Infinity. */
  readonly cuts: readonly Float64Array[];
  /** Scratch for one row's codes (predictRow stays allocation-free). */
  readonly rowCodes: Uint8Array;
}

const CUTS = 256;
const LEAF_RANK = 255;

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
    coded: codeForest(forest.features, roots, feature, threshold, left),
  };
}

function codeForest(
  features: number,
  roots: Int32Array,
  feature: Int32Array,
  threshold: Float64Array,
  left: Int32Array,
): CodedForest | null {
  const total = feature.length;
  // Bits for the feature index (at least 8, so forests of up to 256 features keep 16 bits for
  // the left child); the left child gets what the rank and the feature leave of 32.
  let featureBits = 8;
  while (1 << featureBits < features) featureBits++;
  const shift = 8 + featureBits;
  if (shift > 24) return null; // fewer than 8 bits left for the children: not worth coding
  const maxNodes = 2 ** (32 - shift);
  const perFeature: Set<number>[] = Array.from({ length: features }, () => new Set<number>());
  for (let i = 0; i < total; i++) {
    const f = feature[i] as number;
    if (f < 0) continue;
    const t = threshold[i] as number;
    if (Number.isNaN(t)) return null;
    (perFeature[f] as Set<number>).add(t);
  }
  if (perFeature.some((set) => set.size >= CUTS)) return null;
  const ranks = perFeature.map((set) => new Map([...set].sort((a, b) => a - b).map((t, i) => [t, i])));
  const cuts = ranks.map((m) => {
    const c = new Float64Array(CUTS).fill(Infinity);
    for (const [t, i] of m) c[i] = t;
    return c;
  });
  const nodes = new Int32Array(total);
  const depth = new Int32Array(roots.length);
  const treeNodes: Int32Array[] = [];
  for (let t = 0; t < roots.length; t++) {
    const root = roots[t] as number;
    const end = t + 1 < roots.length ? (roots[t + 1] as number) : total;
    if (end - root > maxNodes) return null;
    const level = new Int32Array(end - root);
    let deepest = 0;
    for (let i = root; i < end; i++) {
      const f = feature[i] as number;
      if (f < 0) {
        nodes[i] = ((i - root) << shift) | LEAF_RANK;
        continue;
      }
      const l = (left[i] as number) - root;
      if (l <= i - root) return null; // the level pass below needs children after their parent
      const rank = (ranks[f] as Map<number, number>).get(threshold[i] as number) as number;
      nodes[i] = (l << shift) | (f << 8) | rank;
      const d = (level[i - root] as number) + 1;
      level[l] = d;
      level[l + 1] = d;
      if (d > deepest) deepest = d;
    }
    depth[t] = deepest;
    treeNodes.push(nodes.subarray(root, end));
  }
  const groupDepth = new Int32Array(Math.ceil(roots.length / 4));
  depth.forEach((d, t) => (groupDepth[t >> 2] = Math.max(groupDepth[t >> 2] as number, d)));
  return {
    nodes,
    shift,
    featureMask: (1 << featureBits) - 1,
    treeNodes,
    depth,
    groupDepth,
    cuts,
    rowCodes: new Uint8Array(features),
  };
}

/**
 * A value's code: the count of its feature's cuts below it (NaN: 0, so it goes left everywhere, as
 * in training), found in eight branch-free halving steps over the padded cuts.
 */
function codeOf(e: Float64Array, x: number): number {
  let pos = +((e[127] as number) < x) << 7;
  pos += +((e[pos + 63] as number) < x) << 6;
  pos += +((e[pos + 31] as number) < x) << 5;
  pos += +((e[pos + 15] as number) < x) << 4;
  pos += +((e[pos + 7] as number) < x) << 3;
  pos += +((e[pos + 3] as number) < x) << 2;
  pos += +((e[pos + 1] as number) < x) << 1;
  return pos + +((e[pos] as number) < x);
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
  const { roots, value, nOut, coded } = c;
  out.fill(0);
  if (coded) {
    const codes = coded.rowCodes;
    for (let f = 0; f < c.features; f++) codes[f] = codeOf(coded.cuts[f] as Float64Array, x[f] as number);
    const { treeNodes, groupDepth, shift: s, featureMask: m } = coded;
    // Four trees side by side (leaves loop onto themselves, so the deepest of the four sets the
    // steps): independent chains, as in the batch walk.
    let t = 0;
    for (; t + 4 <= c.trees; t += 4) {
      const t0 = treeNodes[t] as Int32Array,
        t1 = treeNodes[t + 1] as Int32Array;
      const t2 = treeNodes[t + 2] as Int32Array,
        t3 = treeNodes[t + 3] as Int32Array;
      let n0 = 0,
        n1 = 0,
        n2 = 0,
        n3 = 0;
      for (let d = groupDepth[t >> 2] as number; d > 0; d--) {
        let v = t0[n0] as number;
        n0 = (v >>> s) + +((codes[(v >>> 8) & m] as number) > (v & 255));
        v = t1[n1] as number;
        n1 = (v >>> s) + +((codes[(v >>> 8) & m] as number) > (v & 255));
        v = t2[n2] as number;
        n2 = (v >>> s) + +((codes[(v >>> 8) & m] as number) > (v & 255));
        v = t3[n3] as number;
        n3 = (v >>> s) + +((codes[(v >>> 8) & m] as number) > (v & 255));
      }
      addLeaf(c, t, n0, out);
      addLeaf(c, t + 1, n1, out);
      addLeaf(c, t + 2, n2, out);
      addLeaf(c, t + 3, n3, out);
    }
    for (; t < c.trees; t++) {
      const tree = treeNodes[t] as Int32Array;
      let nd = 0;
      for (let d = coded.depth[t] as number; d > 0; d--) {
        const v = tree[nd] as number;
        nd = (v >>> s) + +((codes[(v >>> 8) & m] as number) > (v & 255));
      }
      addLeaf(c, t, nd, out);
    }
  } else {
    for (let t = 0; t < c.trees; t++) {
      const base = leafOf(c, roots[t] as number, x) * nOut;
      for (let k = 0; k < nOut; k++) out[k] = (out[k] as number) + (value[base + k] as number);
    }
  }
  for (let k = 0; k < nOut; k++) out[k] = (out[k] as number) / c.trees;
  return out;
}

function addLeaf(c: CompiledForest, t: number, node: number, out: Float64Array): void {
  const base = ((c.roots[t] as number) + node) * c.nOut;
  for (let k = 0; k < c.nOut; k++) out[k] = (out[k] as number) + (c.value[base + k] as number);
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
 * binary classification, the value for regression. Tree-major over blocks of rows, so a tree's
 * nodes stay hot in cache while the block walks it.
 */
export function predictColumns(c: CompiledForest, columns: readonly Float64Array[]): Float64Array {
  const n = columns[0]?.length ?? 0;
  if (columns.length !== c.features) {
    throw new Error(`predictColumns: the forest takes ${c.features} features, got ${columns.length}`);
  }
  const out = c.coded ? predictKernel(c, c.coded, columns, n) : predictWalk(c, columns, n);
  for (let r = 0; r < n; r++) out[r] = (out[r] as number) / c.trees;
  return out;
}

/** The plain walk over a row-major copy, for forests the coded form cannot hold. */
function predictWalk(c: CompiledForest, columns: readonly Float64Array[], n: number): Float64Array {
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
  return out;
}
