/**
 * The histogram tree against a plain reference on random binned data: every node's histogram built
 * afresh over all 256 bins, one scan of every class (no range tracking, no loops specialised for
 * two classes or for regression), the same feature draws and the same arithmetic in the same
 * order. Rows sit in index order within a node, so both sum in that order and the trees must be
 * identical, node for node.
 */
import { describe, expect, it } from 'vitest';
import type { Binned } from '../../models/binning.ts';
import { buildTree } from '../../models/tree.ts';
import type { Criterion, TreeParams } from '../../models/tree.ts';
import { Rng } from '../../src/sim/rng.ts';

interface Plain {
  feature: number[];
  thresholdBin: number[];
  left: number[];
  right: number[];
  value: number[];
  cover: number[];
}

function referenceTree(
  data: Binned,
  target: Float64Array,
  weights: Float64Array,
  params: TreeParams,
  random: () => number,
): Plain {
  const { rows: n, features: p, codes } = data;
  const classify = params.criterion !== 'mse';
  const K = classify ? params.classes : 1;
  const mtry = Math.max(1, Math.min(p, params.maxFeatures));
  const featIdx = Array.from({ length: p }, (_, i) => i);
  const t: Plain = { feature: [], thresholdBin: [], left: [], right: [], value: [], cover: [] };
  const newNode = () => {
    t.feature.push(-1);
    t.thresholdBin.push(-1);
    t.left.push(-1);
    t.right.push(-1);
    t.cover.push(0);
    for (let k = 0; k < K; k++) t.value.push(0);
    return t.feature.length - 1;
  };
  const purity = (acc: number[], w: number) => {
    if (w <= 0) return 0;
    if (!classify) return (acc[0]! * acc[0]!) / w;
    let s = 0;
    if (params.criterion === 'gini') {
      for (let k = 0; k < K; k++) s += acc[k]! * acc[k]!;
      return s / w;
    }
    for (let k = 0; k < K; k++) if (acc[k]! > 0) s += acc[k]! * Math.log(acc[k]! / w);
    return s;
  };
  const inBag: number[] = [];
  for (let r = 0; r < n; r++) if (weights[r]! > 0) inBag.push(r);
  let leaves = 1;
  const stack: [number, number[], number][] = [[newNode(), inBag, 0]];
  while (stack.length > 0) {
    const [node, rows, depth] = stack.pop()!;
    const totals = new Array<number>(K).fill(0);
    let W = 0;
    for (const r of rows) {
      W += weights[r]!;
      const k = classify ? target[r]! : 0;
      totals[k] = totals[k]! + (classify ? weights[r]! : weights[r]! * target[r]!);
    }
    t.cover[node] = W;
    for (let k = 0; k < K; k++) t.value[node * K + k] = W > 0 ? totals[k]! / W : 0;
    const pure = classify && totals.some((v) => v === W);
    const minLeaf = params.minSamplesLeaf;
    if (
      depth >= params.maxDepth ||
      W < params.minSamplesSplit ||
      W < 2 * minLeaf ||
      pure ||
      leaves >= params.maxLeaves
    )
      continue;
    const feats: number[] = [];
    for (let j = 0; j < mtry; j++) {
      const pick = j + Math.floor(random() * (p - j));
      [featIdx[j], featIdx[pick]] = [featIdx[pick]!, featIdx[j]!];
      feats.push(featIdx[j]!);
    }
    const parent = purity(totals, W);
    let bestGain = 1e-12 * (Math.abs(parent) + 1);
    let bestFeature = -1;
    let bestBin = -1;
    for (const f of feats) {
      const hw = new Array<number>(256).fill(0);
      const hs = Array.from({ length: 256 }, () => new Array<number>(K).fill(0));
      for (const r of rows) {
        const b = codes[r * p + f]!;
        hw[b] = hw[b]! + weights[r]!;
        const h = hs[b]!;
        const k = classify ? target[r]! : 0;
        h[k] = h[k]! + (classify ? weights[r]! : weights[r]! * target[r]!);
      }
      const used = hw.flatMap((w, b) => (w > 0 ? [b] : []));
      const top = used.at(-1)!;
      const left = new Array<number>(K).fill(0);
      let wl = 0;
      for (const b of used) {
        if (b === top) break;
        wl += hw[b]!;
        for (let k = 0; k < K; k++) left[k] = left[k]! + hs[b]![k]!;
        const wr = W - wl;
        if (wl < minLeaf) continue;
        if (wr < minLeaf) break;
        let sl = 0;
        let sr = 0;
        for (let k = 0; k < K; k++) {
          const a = left[k]!;
          const c = totals[k]! - a;
          if (params.criterion === 'entropy') {
            if (a > 0) sl += a * Math.log(a / wl);
            if (c > 0) sr += c * Math.log(c / wr);
          } else {
            sl += a * a;
            sr += c * c;
          }
        }
        const g = params.criterion === 'entropy' ? sl + sr - parent : sl / wl + sr / wr - parent;
        if (g > bestGain) {
          bestGain = g;
          bestFeature = f;
          bestBin = b;
        }
      }
    }
    if (bestFeature < 0) continue;
    t.feature[node] = bestFeature;
    t.thresholdBin[node] = bestBin;
    const li = newNode();
    const ri = newNode();
    t.left[node] = li;
    t.right[node] = ri;
    leaves++;
    const goLeft = (r: number) => codes[r * p + bestFeature]! <= bestBin;
    stack.push([ri, rows.filter((r) => !goLeft(r)), depth + 1], [li, rows.filter(goLeft), depth + 1]);
  }
  return t;
}

describe('buildTree', () => {
  it('grows the reference tree on random data: two and three classes, entropy, regression; nodes of every size', () => {
    const rng = new Rng(31, 'tree');
    const cases: [Criterion, number][] = [
      ['gini', 2],
      ['gini', 3],
      ['entropy', 2],
      ['mse', 1],
    ];
    let splits = 0;
    let bigSplits = 0;
    for (let t = 0; t < 24; t++) {
      const [criterion, classes] = cases[t % cases.length]!;
      const n = 20 + Math.floor(rng.next() * 2000);
      const p = 1 + Math.floor(rng.next() * 30);
      // Features of every spread: a constant, a few bins, all 256, and one tied to the target.
      const spread = Array.from({ length: p }, (_, f) => [1, 3, 40, 256][f % 4]!);
      const target = Float64Array.from({ length: n }, () =>
        classes > 1 ? Math.floor(rng.next() * classes) : Math.round(rng.normal() * 10) / 4,
      );
      const codes = new Uint8Array(n * p);
      for (let r = 0; r < n; r++)
        for (let f = 0; f < p; f++) {
          const base = Math.floor(rng.next() * spread[f]!);
          codes[r * p + f] =
            f === 2 && rng.next() < 0.7 ? Math.min(255, Math.abs(Math.round(target[r]! * 20))) : base;
        }
      const data: Binned = {
        rows: n,
        features: p,
        codes,
        edges: Array.from({ length: p }, () => new Float64Array(256)),
      };
      // Bootstrap multiplicities (zeros leave rows out of bag) times a class weight.
      const weights = new Float64Array(n);
      for (let k = 0; k < n; k++) weights[Math.floor(rng.next() * n)]! += 1;
      for (let r = 0; r < n; r++) if (classes > 1 && target[r] === 1) weights[r]! *= 2.5;
      const params: TreeParams = {
        criterion,
        classes,
        maxDepth: [3, 12, 32][t % 3]!,
        minSamplesLeaf: [1, 5][t % 2]!,
        minSamplesSplit: 2,
        maxLeaves: t % 5 === 0 ? 20 : 1e9,
        maxFeatures: 1 + Math.floor(rng.next() * p),
      };
      const seed = Math.floor(rng.next() * 1e9);
      const a = new Rng(seed, 'draws');
      const b = new Rng(seed, 'draws');
      const got = buildTree(data, target, weights, params, () => a.next());
      const want = referenceTree(data, target, weights, params, () => b.next());
      expect(Array.from(got.feature)).toEqual(want.feature);
      expect(Array.from(got.thresholdBin)).toEqual(want.thresholdBin);
      expect(Array.from(got.left)).toEqual(want.left);
      expect(Array.from(got.right)).toEqual(want.right);
      expect(Array.from(got.value)).toEqual(want.value);
      expect(Array.from(got.cover)).toEqual(want.cover);
      for (let i = 0; i < got.feature.length; i++) {
        if (got.feature[i]! < 0) continue;
        splits++;
        if (got.cover[i]! >= 256) bigSplits++;
      }
    }
    // Not trees of one leaf: both the small nodes' and the large nodes' paths split.
    expect(splits).toBeGreaterThan(500);
    expect(bigSplits).toBeGreaterThan(20);
  });
});
