import { describe, expect, it } from 'vitest';
import { calibrate, fitIsotonic } from '../../models/index.ts';
import { Rng } from '../../src/sim/rng.ts';

/**
 * Isotonic regression by its min-max formula, independent of pool-adjacent-violators: over the
 * distinct scores (each a point weighted by its instants, valued at their mean label), the fit at
 * point i is max over j <= i of min over k >= i of the weighted mean of points j..k.
 */
function isotonicReference(score: number[], label: number[]): Map<number, number> {
  const xs = [...new Set(score)].sort((a, b) => a - b);
  const w = xs.map((x) => score.filter((s) => s === x).length);
  const sum = xs.map((x) => score.reduce((acc, s, i) => acc + (s === x ? (label[i] as number) : 0), 0));
  const fit = new Map<number, number>();
  xs.forEach((x, i) => {
    let best = -Infinity;
    for (let j = 0; j <= i; j++) {
      let low = Infinity;
      for (let k = i; k < xs.length; k++) {
        let s = 0;
        let n = 0;
        for (let m = j; m <= k; m++) {
          s += sum[m] as number;
          n += w[m] as number;
        }
        low = Math.min(low, s / n);
      }
      best = Math.max(best, low);
    }
    fit.set(x, best);
  });
  return fit;
}

describe('isotonic calibration', () => {
  it('matches the min-max formula on random scores with many ties, whatever the rows order', () => {
    for (let seed = 1; seed <= 20; seed++) {
      const rng = new Rng(seed, 'isotonic');
      const n = 20 + Math.floor(rng.next() * 60);
      // Scores on a coarse grid, as a forest's vote shares tie; failures likelier at high scores.
      const score = Array.from({ length: n }, () => Math.round(rng.next() * 8) / 8);
      const label = score.map((s) => (rng.next() < 0.15 + 0.6 * s ? 1 : 0));
      const ref = isotonicReference(score, label);
      const c = fitIsotonic(score, label);
      for (const [x, v] of ref) expect(calibrate(c, x)).toBeCloseTo(v, 12);
      // The same rows in reverse order: the same map.
      const r = fitIsotonic([...score].reverse(), [...label].reverse());
      for (const x of ref.keys()) expect(calibrate(r, x)).toBeCloseTo(calibrate(c, x), 12);
      // One block per distinct value: no duplicate upper scores.
      expect(new Set(c.x).size).toBe(c.x.length);
    }
  });

  it('gives a tied score its instants mean, not the lowest of their labels', () => {
    // Two instants at 0.5, a failure listed second: their mean, 0.5.
    const c = fitIsotonic([0.1, 0.5, 0.5, 0.9], [0, 0, 1, 1]);
    expect(calibrate(c, 0.5)).toBeCloseTo(0.5, 12);
  });
});
