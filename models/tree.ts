/**
 * One decision tree grown on binned features with histogram split search: per node, a histogram of
 * (weight, weighted target) per bin for each sampled feature, then one scan of the bins for the
 * best threshold. Cost per node is O(rows x sampled features + bins), never a sort; the quadratic
 * split search of ml-cart is what this replaces.
 *
 * Rows carry weights: bootstrap multiplicities (0 = out of bag, excluded) times class weights.
 * Missing values sit in bin 0 and go left.
 */
import type { Binned } from './binning.ts';

export type Criterion = 'mse' | 'gini' | 'entropy';

export interface TreeParams {
  readonly criterion: Criterion;
  /** Number of classes for gini/entropy (labels 0..k-1); 1 output for mse. */
  readonly classes: number;
  readonly maxDepth: number;
  readonly minSamplesLeaf: number;
  readonly minSamplesSplit: number;
  readonly maxLeaves: number;
  /** Features drawn at every node (per-node sampling, as scikit-learn does). */
  readonly maxFeatures: number;
}

/** A tree in flat arrays; `feature[i] < 0` marks a leaf, whose outputs are value[i*nOut ..]. */
export interface Tree {
  readonly feature: Int32Array;
  readonly threshold: Float64Array;
  /** Bin index of the threshold (kept for exports that work in bins). */
  readonly thresholdBin: Int32Array;
  readonly left: Int32Array;
  readonly right: Int32Array;
  readonly value: Float64Array;
  /** Weighted number of training rows that reached the node (for path attributions). */
  readonly cover: Float64Array;
  readonly nOut: number;
  /** Sum of impurity decrease per feature (unnormalised importance). */
  readonly gain: Float64Array;
}

const BINS = 256;

export function buildTree(
  data: Binned,
  target: Float64Array,
  weights: Float64Array,
  params: TreeParams,
  random: () => number,
): Tree {
  const n = data.rows;
  const p = data.features;
  const codes = data.codes; // locals: V8 does not hoist property loads out of the hot loops
  const classify = params.criterion !== 'mse';
  const gini = params.criterion === 'gini';
  const K = classify ? params.classes : 1;
  const nOut = K;
  const mtry = Math.max(1, Math.min(p, params.maxFeatures));
  const minLeaf = params.minSamplesLeaf;

  // Rows in bag, kept in index order within each node by a stable partition.
  let count = 0;
  for (let r = 0; r < n; r++) if ((weights[r] as number) > 0) count++;
  const rows = new Int32Array(count);
  for (let r = 0, k = 0; r < n; r++) if ((weights[r] as number) > 0) rows[k++] = r;
  const tmp = new Int32Array(count);

  const feature: number[] = [];
  const threshold: number[] = [];
  const thresholdBin: number[] = [];
  const left: number[] = [];
  const right: number[] = [];
  const value: number[] = [];
  const cover: number[] = [];
  const gain = new Float64Array(p);
  // One histogram per sampled feature: weight per bin, and target sum (mse) or weight per class.
  const histW = new Float64Array(mtry * BINS);
  const histS = new Float64Array(mtry * BINS * K);
  const lo = new Int32Array(mtry);
  const hi = new Int32Array(mtry);
  const feat = new Int32Array(mtry);
  const totals = new Float64Array(K);
  const leftAcc = new Float64Array(K);
  const featIdx = Int32Array.from({ length: p }, (_, i) => i);
  let leaves = 1;

  const newNode = () => {
    feature.push(-1);
    threshold.push(NaN);
    thresholdBin.push(-1);
    left.push(-1);
    right.push(-1);
    cover.push(0);
    for (let k = 0; k < nOut; k++) value.push(0);
    return feature.length - 1;
  };

  /** Purity score of a group from its totals (larger is purer; differences are impurity decrease x W). */
  const score = (acc: Float64Array, w: number): number => {
    if (w <= 0) return 0;
    let s = 0;
    if (!classify) return ((acc[0] as number) * (acc[0] as number)) / w;
    if (gini) {
      for (let k = 0; k < K; k++) s += (acc[k] as number) * (acc[k] as number);
      return s / w;
    }
    for (let k = 0; k < K; k++) {
      const c = acc[k] as number;
      if (c > 0) s += c * Math.log(c / w);
    }
    return s;
  };

  const stack: [number, number, number, number][] = [[newNode(), 0, count, 0]];
  while (stack.length > 0) {
    const [node, start, end, depth] = stack.pop()!;
    totals.fill(0);
    let W = 0;
    for (let i = start; i < end; i++) {
      const r = rows[i] as number;
      const w = weights[r] as number;
      W += w;
      if (classify) totals[target[r] as number] = (totals[target[r] as number] as number) + w;
      else totals[0] = (totals[0] as number) + w * (target[r] as number);
    }
    cover[node] = W;
    for (let k = 0; k < nOut; k++) value[node * nOut + k] = W > 0 ? (totals[k] as number) / W : 0;
    let pure = false;
    if (classify) for (let k = 0; k < K; k++) if (totals[k] === W) pure = true;
    if (
      depth >= params.maxDepth ||
      W < params.minSamplesSplit ||
      W < 2 * minLeaf ||
      pure ||
      leaves >= params.maxLeaves
    )
      continue;

    // Partial Fisher-Yates: mtry distinct features for this node.
    for (let j = 0; j < mtry; j++) {
      const pick = j + Math.floor(random() * (p - j));
      const t = featIdx[j] as number;
      featIdx[j] = featIdx[pick] as number;
      featIdx[pick] = t;
      feat[j] = featIdx[j] as number;
    }
    // One visit per row, all sampled features: the row's codes share a few cache lines. Each
    // feature's range of bins comes afterwards from the histogram's ends (comparing every code
    // with a running range cost two compares in a loop of two loads and two stores).
    if (classify) classHist(codes, rows, weights, target, start, end, p, feat, mtry, K, histW, histS);
    else regHist(codes, rows, weights, target, start, end, p, feat, mtry, histW, histS);
    binRanges(histW, mtry, lo, hi);
    const parentScore = score(totals, W);
    let bestGain = 1e-12 * (Math.abs(parentScore) + 1);
    let bestFeature = -1;
    let bestBin = -1;
    for (let j = 0; j < mtry; j++) {
      const off = j * BINS;
      const bLo = lo[j] as number;
      const bHi = hi[j] as number;
      // Two classes (failure or not) and regression each scan in a loop of their own: running
      // sums in locals, no loop over classes.
      const b =
        gini && K === 2
          ? bestGini2Bin(
              histW,
              histS,
              off,
              bLo,
              bHi,
              W,
              totals[0] as number,
              totals[1] as number,
              minLeaf,
              parentScore,
              bestGain,
            )
          : classify
            ? bestClassBin(
                histW,
                histS,
                off,
                bLo,
                bHi,
                W,
                totals,
                K,
                gini,
                leftAcc,
                minLeaf,
                parentScore,
                bestGain,
              )
            : bestRegressionBin(
                histW,
                histS,
                off,
                bLo,
                bHi,
                W,
                totals[0] as number,
                minLeaf,
                parentScore,
                bestGain,
              );
      if (b >= 0) {
        bestGain = foundGain;
        bestFeature = feat[j] as number;
        bestBin = b;
      }
      // Re-zero only the touched range for the next node.
      if (bLo <= bHi) {
        histW.fill(0, off + bLo, off + bHi + 1);
        histS.fill(0, (off + bLo) * K, (off + bHi + 1) * K);
      }
    }
    if (bestFeature < 0) continue;
    // Stable partition: rows with bin <= bestBin go left.
    let l = start;
    let t = 0;
    for (let i = start; i < end; i++) {
      const r = rows[i] as number;
      if ((codes[r * p + bestFeature] as number) <= bestBin) rows[l++] = r;
      else tmp[t++] = r;
    }
    rows.set(tmp.subarray(0, t), l);
    gain[bestFeature] = (gain[bestFeature] as number) + bestGain;
    feature[node] = bestFeature;
    thresholdBin[node] = bestBin;
    threshold[node] = (data.edges[bestFeature] as Float64Array)[bestBin] as number;
    const li = newNode();
    const ri = newNode();
    left[node] = li;
    right[node] = ri;
    leaves++;
    stack.push([ri, l, end, depth + 1], [li, start, l, depth + 1]);
  }
  return {
    feature: Int32Array.from(feature),
    threshold: Float64Array.from(threshold),
    thresholdBin: Int32Array.from(thresholdBin),
    left: Int32Array.from(left),
    right: Int32Array.from(right),
    value: Float64Array.from(value),
    cover: Float64Array.from(cover),
    nOut,
    gain,
  };
}

/** Each sampled feature's lowest and highest bin holding weight (every row in bag weighs > 0). */
function binRanges(histW: Float64Array, mtry: number, lo: Int32Array, hi: Int32Array): void {
  for (let j = 0; j < mtry; j++) {
    const off = j * BINS;
    let a = 0;
    while (a < BINS && (histW[off + a] as number) === 0) a++;
    if (a === BINS) {
      // No row (not reached: a node has rows): an empty range, scanned and cleared as none.
      lo[j] = BINS;
      hi[j] = 0;
      continue;
    }
    let b = BINS - 1;
    while ((histW[off + b] as number) === 0) b--;
    lo[j] = a;
    hi[j] = b;
  }
}

// The histogram loops, each its own small function: V8 optimises a tight loop far better on its
// own than nested in the tree's bookkeeping, and each variant keeps only the work it needs.

function classHist(
  codes: Uint8Array,
  rows: Int32Array,
  weights: Float64Array,
  target: Float64Array,
  start: number,
  end: number,
  p: number,
  feat: Int32Array,
  mtry: number,
  K: number,
  histW: Float64Array,
  histS: Float64Array,
): void {
  for (let i = start; i < end; i++) {
    const r = rows[i] as number;
    const w = weights[r] as number;
    const cls = target[r] as number;
    const rb = r * p;
    for (let j = 0; j < mtry; j++) {
      const h = j * BINS + (codes[rb + (feat[j] as number)] as number);
      histW[h] = (histW[h] as number) + w;
      histS[h * K + cls] = (histS[h * K + cls] as number) + w;
    }
  }
}

function regHist(
  codes: Uint8Array,
  rows: Int32Array,
  weights: Float64Array,
  target: Float64Array,
  start: number,
  end: number,
  p: number,
  feat: Int32Array,
  mtry: number,
  histW: Float64Array,
  histS: Float64Array,
): void {
  for (let i = start; i < end; i++) {
    const r = rows[i] as number;
    const w = weights[r] as number;
    const wy = w * (target[r] as number);
    const rb = r * p;
    for (let j = 0; j < mtry; j++) {
      const h = j * BINS + (codes[rb + (feat[j] as number)] as number);
      histW[h] = (histW[h] as number) + w;
      histS[h] = (histS[h] as number) + wy;
    }
  }
}

/** The gain of the split the last of the three scans below found (`bestRegressionBin`, `bestGini2Bin`, `bestClassBin`). */
let foundGain = 0;

/**
 * The regression split of one feature's histogram (bins [bLo, bHi) as the left side's upper end)
 * whose gain beats `beat`: its bin, the gain in `foundGain`; -1 if none does. The same arithmetic,
 * in the same order, as the general scan (`bestClassBin`) would do, without its loop over classes.
 */
function bestRegressionBin(
  histW: Float64Array,
  histS: Float64Array,
  off: number,
  bLo: number,
  bHi: number,
  W: number,
  total: number,
  minLeaf: number,
  parentScore: number,
  beat: number,
): number {
  let wl = 0;
  let sl = 0;
  let best = beat;
  let bin = -1;
  for (let b = bLo; b < bHi; b++) {
    const hw = histW[off + b] as number;
    if (hw === 0) continue;
    wl += hw;
    sl += histS[off + b] as number;
    const wr = W - wl;
    if (wl < minLeaf) continue;
    if (wr < minLeaf) break;
    const sr = total - sl;
    const g = (sl * sl) / wl + (sr * sr) / wr - parentScore;
    if (g > best) {
      best = g;
      bin = b;
    }
  }
  foundGain = best;
  return bin;
}

/** `bestRegressionBin` for Gini impurity over two classes (histS holds each bin's two weights). */
function bestGini2Bin(
  histW: Float64Array,
  histS: Float64Array,
  off: number,
  bLo: number,
  bHi: number,
  W: number,
  total0: number,
  total1: number,
  minLeaf: number,
  parentScore: number,
  beat: number,
): number {
  let wl = 0;
  let a0 = 0;
  let a1 = 0;
  let best = beat;
  let bin = -1;
  for (let b = bLo; b < bHi; b++) {
    const hw = histW[off + b] as number;
    if (hw === 0) continue;
    wl += hw;
    a0 += histS[(off + b) * 2] as number;
    a1 += histS[(off + b) * 2 + 1] as number;
    const wr = W - wl;
    if (wl < minLeaf) continue;
    if (wr < minLeaf) break;
    const c0 = total0 - a0;
    const c1 = total1 - a1;
    const g = (a0 * a0 + a1 * a1) / wl + (c0 * c0 + c1 * c1) / wr - parentScore;
    if (g > best) {
      best = g;
      bin = b;
    }
  }
  foundGain = best;
  return bin;
}

/**
 * `bestRegressionBin` for any number of classes, Gini or entropy (`left` is scratch of K): the
 * general scan, for what the two loops above do not cover.
 */
function bestClassBin(
  histW: Float64Array,
  histS: Float64Array,
  off: number,
  bLo: number,
  bHi: number,
  W: number,
  totals: Float64Array,
  K: number,
  gini: boolean,
  left: Float64Array,
  minLeaf: number,
  parentScore: number,
  beat: number,
): number {
  left.fill(0);
  let wl = 0;
  let best = beat;
  let bin = -1;
  for (let b = bLo; b < bHi; b++) {
    const hw = histW[off + b] as number;
    if (hw === 0) continue;
    wl += hw;
    for (let k = 0; k < K; k++) left[k] = (left[k] as number) + (histS[(off + b) * K + k] as number);
    const wr = W - wl;
    if (wl < minLeaf) continue;
    if (wr < minLeaf) break;
    let sl = 0;
    let sr = 0;
    for (let k = 0; k < K; k++) {
      const a = left[k] as number;
      const c = (totals[k] as number) - a;
      if (gini) {
        sl += a * a;
        sr += c * c;
      } else {
        if (a > 0) sl += a * Math.log(a / wl);
        if (c > 0) sr += c * Math.log(c / wr);
      }
    }
    const g = gini ? sl / wl + sr / wr - parentScore : sl + sr - parentScore;
    if (g > best) {
      best = g;
      bin = b;
    }
  }
  foundGain = best;
  return bin;
}
