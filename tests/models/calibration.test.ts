import { describe, expect, it } from 'vitest';
import { calibrate, calibratorJson, calibratorOf, fitIsotonic } from '../../models/index.ts';
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

describe('centered isotonic calibration', () => {
  it("puts each block's frequency at its point and interpolates between, on random scores", () => {
    for (let seed = 1; seed <= 20; seed++) {
      const rng = new Rng(seed, 'centered');
      const n = 20 + Math.floor(rng.next() * 60);
      const score = Array.from({ length: n }, () => Math.round(rng.next() * 16) / 16);
      const label = score.map((s) => (rng.next() < 0.1 + 0.7 * s ? 1 : 0));
      // The blocks from the min-max formula: runs of distinct scores with the same fitted value.
      const ref = isotonicReference(score, label);
      const xs = [...ref.keys()].sort((a, b) => a - b);
      const runs: { sum: number; n: number; low: number; high: number; y: number }[] = [];
      for (const x of xs) {
        const y = ref.get(x) as number;
        const w = score.filter((s) => s === x).length;
        const last = runs[runs.length - 1];
        if (last !== undefined && Math.abs(last.y - y) < 1e-12) {
          last.sum += x * w;
          last.n += w;
          last.high = x;
        } else runs.push({ sum: x * w, n: w, low: x, high: x, y });
      }
      // Each block at its mean score; the lowest at its lowest, the highest at its highest.
      const blocks = runs.map((r, k) => ({
        at: runs.length === 1 ? r.sum / r.n : k === 0 ? r.low : k === runs.length - 1 ? r.high : r.sum / r.n,
        y: r.y,
      }));
      const c = fitIsotonic(score, label, { centered: true });
      expect(c.centered).toBe(true);
      expect(Array.from(c.x)).toHaveLength(blocks.length);
      blocks.forEach((b, k) => {
        expect(c.x[k]).toBeCloseTo(b.at, 12);
        expect(calibrate(c, b.at)).toBeCloseTo(b.y, 12);
        const next = blocks[k + 1];
        if (next === undefined) return;
        // Halfway between two points: halfway between their frequencies.
        expect(calibrate(c, (b.at + next.at) / 2)).toBeCloseTo((b.y + next.y) / 2, 12);
      });
      // Flat beyond the ends, and never decreasing.
      expect(calibrate(c, -1)).toBeCloseTo((blocks[0] as { y: number }).y, 12);
      expect(calibrate(c, 2)).toBeCloseTo((blocks[blocks.length - 1] as { y: number }).y, 12);
      let prev = -Infinity;
      for (let s = -0.1; s <= 1.1; s += 0.001) {
        const v = calibrate(c, s);
        expect(v).toBeGreaterThanOrEqual(prev - 1e-15);
        prev = v;
      }
    }
  });

  it('tells apart the scores a step calibration ties in its top block', () => {
    const score = [0.1, 0.2, 0.3, 0.6, 0.7, 0.8, 0.9, 1];
    const label = [0, 0, 0, 1, 1, 1, 1, 1];
    const step = fitIsotonic(score, label);
    const centered = fitIsotonic(score, label, { centered: true });
    expect(calibrate(step, 0.61)).toBe(calibrate(step, 0.95));
    expect(calibrate(centered, 0.61)).toBeLessThan(calibrate(centered, 0.79));
  });

  it('keeps missing values (a -Infinity score) apart from the finite scores of their block', () => {
    const score = [-Infinity, -Infinity, 0.2, 0.4, 0.9];
    const label = [0, 0, 0, 0, 1];
    const c = fitIsotonic(score, label, { centered: true });
    // One block of -Infinity, 0.2 and 0.4 (all 0): its point is its lowest finite score, 0.2.
    expect(c.x[0]).toBeCloseTo(0.2, 12);
    expect(calibrate(c, -Infinity)).toBe(0);
    expect(calibrate(c, 0.55)).toBeCloseTo(0.5, 12);
    // Stored as JSON and read back: the same map.
    const back = calibratorOf(JSON.parse(JSON.stringify(calibratorJson(c))));
    for (const s of [-Infinity, 0.1, 0.3, 0.6, 0.9, 1]) expect(calibrate(back, s)).toBe(calibrate(c, s));
  });
});
