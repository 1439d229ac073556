/**
 * The two sorts a training run spends most of its ranking time in, against plain reference
 * implementations on random inputs: ROC-AUC (every pair counted, ties half) and the quantile bin
 * edges (a comparator sort of a number[]).
 */
import { describe, expect, it } from 'vitest';
import { fitBins, rocAuc } from '../../models/index.ts';
import { Rng } from '../../src/sim/rng.ts';

/** ROC-AUC by its definition: the share of (positive, negative) pairs ranked right, ties half. */
function pairwiseAuc(score: ArrayLike<number>, label: ArrayLike<number>): number {
  let right = 0;
  let pos = 0;
  let neg = 0;
  for (let i = 0; i < score.length; i++) {
    if (label[i] === 1) pos++;
    else neg++;
  }
  for (let i = 0; i < score.length; i++) {
    if (label[i] !== 1) continue;
    for (let k = 0; k < score.length; k++) {
      if (label[k] === 1) continue;
      const a = score[i] as number;
      const b = score[k] as number;
      right += a > b ? 1 : a === b ? 0.5 : 0;
    }
  }
  return pos === 0 || neg === 0 ? NaN : right / (pos * neg);
}

/** The edges as the earlier code computed them: a comparator sort of the sampled valid values. */
function referenceBins(col: Float64Array, maxBins: number, sample: number): Float64Array {
  const step = Math.max(1, Math.floor(col.length / sample));
  const vals: number[] = [];
  for (let i = 0; i < col.length; i += step) if (col[i] === col[i]) vals.push(col[i] as number);
  if (vals.length === 0) return Float64Array.of(Infinity);
  vals.sort((a, b) => a - b);
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
}

/** Scores with many ties, infinities, signed zeros and (optionally) NaN. */
function scores(rng: Rng, n: number, nan: boolean): Float64Array {
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const u = rng.next();
    out[i] =
      u < 0.1
        ? -Infinity
        : u < 0.15
          ? Infinity
          : u < 0.2
            ? -0
            : u < 0.25
              ? 0
              : u < 0.5
                ? Math.round(rng.normal() * 3) / 2
                : nan && u < 0.55
                  ? NaN
                  : rng.normal();
  }
  return out;
}

describe('rocAuc', () => {
  it('equals the pairwise definition on random scores with ties, infinities and signed zeros', () => {
    const rng = new Rng(101, 'auc');
    for (let t = 0; t < 60; t++) {
      const n = 1 + Math.floor(rng.next() * 400);
      const s = scores(rng, n, false);
      const share = rng.next();
      const y = Float64Array.from({ length: n }, () => (rng.next() < share ? 1 : 0));
      const want = pairwiseAuc(s, y);
      if (Number.isNaN(want)) expect(rocAuc(s, y)).toBeNaN();
      else expect(rocAuc(s, y)).toBeCloseTo(want, 12);
    }
  });

  it('NaN with one class only; labels other than 1 count as negatives', () => {
    expect(rocAuc([0.1, 0.2], [1, 1])).toBeNaN();
    expect(rocAuc([0.1, 0.2], [0, 0])).toBeNaN();
    expect(rocAuc([0.1, 0.2, 0.3], [2, 0, 1])).toBeCloseTo(1, 12);
  });

  it('scores with NaN still get an answer in [0, 1] (the comparator path)', () => {
    const rng = new Rng(5, 'auc-nan');
    const s = scores(rng, 300, true);
    expect([...s].some((v) => Number.isNaN(v))).toBe(true);
    const y = Float64Array.from(s, (_, i) => (i % 3 === 0 ? 1 : 0));
    const a = rocAuc(s, y);
    expect(a).toBeGreaterThanOrEqual(0);
    expect(a).toBeLessThanOrEqual(1);
  });
});

describe('fitBins', () => {
  it('the same edges as a comparator sort, on random columns with NaN, ties and signed zeros', () => {
    const rng = new Rng(7, 'bins');
    for (let t = 0; t < 40; t++) {
      const n = Math.floor(rng.next() * 3000);
      const col = scores(rng, n, true).map((v) => (Number.isFinite(v) || Number.isNaN(v) ? v : 0));
      const maxBins = [4, 16, 256][t % 3] as number;
      const sample = [50, 1000, 200_000][Math.floor(t / 3) % 3] as number;
      const [got] = fitBins([col], maxBins, sample);
      const want = referenceBins(col, maxBins, sample);
      // -0 and 0 compare equal, so an edge of either splits the same way.
      const plain = (e: Float64Array) => Array.from(e, (v) => (v === 0 ? 0 : v));
      expect(plain(got as Float64Array)).toEqual(plain(want));
    }
  });
});
