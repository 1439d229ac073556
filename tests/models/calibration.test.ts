import { describe, expect, it } from 'vitest';
import { calibrate, fitIsotonic, fitSigmoid, SIGMOID_KNOTS } from '../../models/index.ts';
import { Rng } from '../../src/sim/rng.ts';

const logit = (s: number) => {
  const c = Math.min(1 - 1e-4, Math.max(1e-4, s));
  return Math.log(c / (1 - c));
};
const sigmoid = (v: number) => 1 / (1 + Math.exp(-v));

/** Mean log-loss of p = sigmoid(a logit(s) + b) against Platt's smoothed targets. */
function plattLoss(score: readonly number[], label: readonly number[], a: number, b: number): number {
  const pos = label.filter((l) => l === 1).length;
  const hi = (pos + 1) / (pos + 2);
  const lo = 1 / (label.length - pos + 2);
  let sum = 0;
  score.forEach((s, i) => {
    const p = Math.min(1 - 1e-15, Math.max(1e-15, sigmoid(a * logit(s) + b)));
    const t = label[i] === 1 ? hi : lo;
    sum -= t * Math.log(p) + (1 - t) * Math.log(1 - p);
  });
  return sum / score.length;
}

function draw(seed: number, n: number, a: number, b: number) {
  const rng = new Rng(seed, 'platt');
  const score: number[] = [];
  const label: number[] = [];
  for (let i = 0; i < n; i++) {
    const s = rng.uniform(0.005, 0.995);
    score.push(s);
    label.push(rng.next() < sigmoid(a * logit(s) + b) ? 1 : 0);
  }
  return { score, label };
}

describe('sigmoid (Platt) calibration', () => {
  it('finds the likelihood maximum a grid search finds, on random data', () => {
    for (let seed = 1; seed <= 5; seed++) {
      const rng = new Rng(seed, 'params');
      const a = rng.uniform(0.3, 2.5);
      const b = rng.uniform(-3, 1);
      const { score, label } = draw(seed, 3000, a, b);
      const c = fitSigmoid(score, label);
      // Read the fitted (a, b) back from two knots of the table.
      const k1 = Math.round(0.2 * SIGMOID_KNOTS);
      const k2 = Math.round(0.8 * SIGMOID_KNOTS);
      const z1 = logit((k1 + 0.5) / SIGMOID_KNOTS);
      const z2 = logit((k2 + 0.5) / SIGMOID_KNOTS);
      const l1 = logit(c.y[k1]!);
      const l2 = logit(c.y[k2]!);
      const fa = (l2 - l1) / (z2 - z1);
      const fb = l1 - fa * z1;
      // The reference: the best point of a fine grid around it, then the fit must be at least as good.
      let best = Infinity;
      for (let ga = fa - 0.2; ga <= fa + 0.2; ga += 0.01)
        for (let gb = fb - 0.2; gb <= fb + 0.2; gb += 0.01)
          best = Math.min(best, plattLoss(score, label, ga, gb));
      expect(plattLoss(score, label, fa, fb)).toBeLessThanOrEqual(best + 1e-9);
      // And with 3,000 draws it lands near the parameters that generated them.
      expect(Math.abs(fa - a)).toBeLessThan(0.35);
      expect(Math.abs(fb - b)).toBeLessThan(0.35);
    }
  });

  it('is a non-decreasing step table over [0, 1] with probabilities strictly inside (0, 1)', () => {
    const { score, label } = draw(9, 500, 1, -1);
    const c = fitSigmoid(score, label);
    expect(c.x.length).toBe(SIGMOID_KNOTS);
    expect(c.x[SIGMOID_KNOTS - 1]).toBe(1);
    for (let k = 1; k < SIGMOID_KNOTS; k++) {
      expect(c.x[k]!).toBeGreaterThan(c.x[k - 1]!);
      expect(c.y[k]!).toBeGreaterThan(c.y[k - 1]!);
    }
    expect(c.y[0]!).toBeGreaterThan(0);
    expect(c.y[SIGMOID_KNOTS - 1]!).toBeLessThan(1);
    // A JSON round trip (the registry's metadata) keeps it whole: no Infinity, no NaN.
    expect(JSON.parse(JSON.stringify(Array.from(c.x)))).toEqual(Array.from(c.x));
  });

  it("never inverts the model's ranking: a slice that ranks failures low gets its base rate", () => {
    const score: number[] = [];
    const label: number[] = [];
    const rng = new Rng(4, 'inverted');
    for (let i = 0; i < 1000; i++) {
      const y = rng.next() < 0.1 ? 1 : 0;
      score.push(y === 1 ? rng.uniform(0, 0.3) : rng.uniform(0.2, 1));
      label.push(y);
    }
    const c = fitSigmoid(score, label);
    const pos = label.filter((l) => l === 1).length;
    const rate = (pos + 1) / (label.length + 2);
    expect(Math.min(...c.y)).toBeCloseTo(rate, 12);
    expect(Math.max(...c.y)).toBeCloseTo(rate, 12);
  });

  it('keeps the ranking where isotonic regression pools a slice with two failure episodes into one block', () => {
    // A calibration slice as the first fold of a short history sees it: 2,000 instants, two failure
    // episodes of 100 instants whose scores sit mid-range, and a stretch of high-scoring normal ones.
    const rng = new Rng(2, 'episodes');
    const score: number[] = [];
    const label: number[] = [];
    for (let i = 0; i < 2000; i++) {
      const failing = i < 200;
      score.push(failing ? rng.uniform(0.3, 0.6) : i < 400 ? rng.uniform(0.4, 0.9) : rng.uniform(0, 0.3));
      label.push(failing ? 1 : 0);
    }
    const test = [0.35, 0.45, 0.55, 0.65, 0.75, 0.85, 0.95];
    const iso = fitIsotonic(score, label);
    const sig = fitSigmoid(score, label);
    // Isotonic regression: one probability for every test score above 0.35 (the pooled block).
    expect(new Set(test.map((s) => calibrate(iso, s))).size).toBeLessThanOrEqual(2);
    // The sigmoid tells them all apart, in the model's order.
    const p = test.map((s) => calibrate(sig, s));
    for (let k = 1; k < p.length; k++) expect(p[k]!).toBeGreaterThan(p[k - 1]!);
  });
});
