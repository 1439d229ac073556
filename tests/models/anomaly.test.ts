import { describe, expect, it } from 'vitest';
import { AnomalyScorer, fitAnomaly } from '../../models/anomaly.ts';
import type { Columns } from '../../models/anomaly.ts';
import { Rng } from '../../src/sim/rng.ts';

/**
 * A machine running three recipes (product codes 11, 12, 13) at different loads: two features
 * follow the load and the recipe (as vibration and temperature do), with noise whose spread grows
 * with load; a third is pure noise. `drift` adds a departure to feature 0 from row `driftFrom` on.
 */
function plant(n: number, seed: number, o: { drift?: number; driftFrom?: number } = {}): Columns {
  const rng = new Rng(seed);
  const load = new Float64Array(n);
  const product = new Float64Array(n);
  const f0 = new Float64Array(n);
  const f1 = new Float64Array(n);
  const f2 = new Float64Array(n);
  const recipes = [
    { code: 11, load: 0.4, offset: 0 },
    { code: 12, load: 0.9, offset: 3 },
    { code: 13, load: 0.6, offset: -2 },
  ];
  for (let i = 0; i < n; i++) {
    // Recipes change every 50 rows; every fifth block is idle (no product, load 0).
    const block = Math.floor(i / 50);
    const r = recipes[block % 3]!;
    const idle = block % 5 === 4;
    load[i] = idle ? 0 : r.load;
    product[i] = idle ? NaN : r.code;
    const L = load[i]!;
    f0[i] = 2 + 8 * L + (idle ? 0 : r.offset) + (0.1 + 0.3 * L) * rng.normal();
    f1[i] = 30 + 20 * L * L + 0.5 * rng.normal();
    f2[i] = rng.normal();
    if (o.drift !== undefined && i >= (o.driftFrom ?? 0)) f0[i] = f0[i]! + o.drift;
  }
  return {
    names: ['f0', 'f1', 'f2', 'batch_load', 'product_code'],
    columns: [f0, f1, f2, load, product],
  };
}

const range = (a: number, b: number) => Array.from({ length: b - a }, (_, k) => a + k);
const CONTEXT = { load: 'batch_load', product: 'product_code', group: null };

describe('anomaly model', () => {
  it('conditions on the operating context: recipe changes alone stay normal, a departure within a recipe does not', () => {
    for (const seed of [1, 2, 3]) {
      const train = plant(3000, seed);
      const model = fitAnomaly(train, ['f0', 'f1', 'f2'], CONTEXT, range(0, 2000), range(2000, 3000));
      const scorer = new AnomalyScorer(model);
      // New data, same recipes switching every 50 rows: scores stay in the normal range.
      const fresh = plant(1500, seed + 100);
      const normal = scorer.scoreColumns(fresh, range(0, 1500));
      const high = normal.filter((s) => s.percentile > 0.999).length;
      expect(high / normal.length).toBeLessThan(0.01);
      // The same recipes with f0 shifted by 1.5 (5 of its spreads at load 0.4): far from normal.
      const drifted = scorer.scoreColumns(plant(1500, seed + 100, { drift: 1.5 }), range(0, 1500));
      const running = drifted.filter((_, i) => Math.floor(i / 50) % 5 !== 4);
      expect(running.filter((s) => s.percentile >= 0.99).length / running.length).toBeGreaterThan(0.9);
      // Without the context the same departure hides inside the spread between recipes.
      const blind = new AnomalyScorer(
        fitAnomaly(
          train,
          ['f0', 'f1', 'f2'],
          { load: null, product: null, group: null },
          range(0, 2000),
          range(2000, 3000),
        ),
      );
      const blindDrifted = blind
        .scoreColumns(plant(1500, seed + 100, { drift: 1.5 }), range(0, 1500))
        .filter((_, i) => Math.floor(i / 50) % 5 !== 4);
      expect(blindDrifted.filter((s) => s.percentile >= 0.99).length / blindDrifted.length).toBeLessThan(0.5);
    }
  });

  it('matches a direct computation of the z-scores when there is no context', () => {
    const rng = new Rng(7);
    for (let trial = 0; trial < 5; trial++) {
      const n = 400;
      const cols = [0, 1, 2].map(() => Float64Array.from({ length: n }, () => 5 * rng.normal() + 3));
      // Missing values too: each feature's fit skips its own.
      cols[1]![17] = NaN;
      const data = { names: ['a', 'b', 'c'], columns: cols };
      const model = fitAnomaly(
        data,
        ['a', 'b', 'c'],
        { load: null, product: null, group: null },
        range(0, 300),
        range(300, 400),
        {
          trim: 0,
        },
      );
      const scorer = new AnomalyScorer(model);
      const x = [rng.normal() * 10, rng.normal() * 10, NaN];
      const got = scorer.scoreRow(x, NaN, NaN, NaN);
      const z = [0, 1].map((j) => {
        const v = Array.from(cols[j]!.subarray(0, 300)).filter((u) => u === u);
        const mean = v.reduce((s, u) => s + u, 0) / v.length;
        const mad = v.reduce((s, u) => s + Math.abs(u - mean), 0) / v.length;
        return (x[j]! - mean) / (1.2533 * mad);
      });
      // Each feature is its own sensor here: the score is the largest clipped |z|.
      expect(got.score).toBeCloseTo(Math.max(...z.map((v) => Math.min(Math.abs(v), 10))), 4);
      const d = scorer.drivers(x, NaN, NaN, NaN, 3);
      expect(d.map((e) => e.feature).sort()).toEqual(['a', 'b']);
      expect(Math.abs(d[0]!.z)).toBeGreaterThanOrEqual(Math.abs(d[1]!.z));
    }
  });

  it('reads a score as a percentile and a health index that falls without flattening', () => {
    const train = plant(3000, 5);
    const model = fitAnomaly(train, ['f0', 'f1', 'f2'], CONTEXT, range(0, 2000), range(2000, 3000));
    const scorer = new AnomalyScorer(model);
    const g = model.groups.all!;
    const base = [2 + 8 * 0.4, 30 + 20 * 0.16, 0];
    let previous = Infinity;
    // Up to f0's clip (10 spreads, ~2.2 at load 0.4): beyond it one channel adds no more.
    for (const shift of [0, 0.25, 0.5, 1, 1.5, 2]) {
      const s = scorer.scoreRow([base[0]! + shift, base[1]!, base[2]!], 0.4, 11, NaN);
      expect(s.health).toBeLessThanOrEqual(1);
      expect(s.health).toBeGreaterThan(0);
      if (s.score > g.q50) expect(s.health).toBeLessThan(previous);
      previous = s.health;
    }
    // Nothing to score: no number, rather than a healthy one.
    const none = scorer.scoreRow([NaN, NaN, NaN], 0.4, 11, NaN);
    expect(none.score).toBeNaN();
    expect(none.health).toBeNaN();
    expect(g.q99).toBeGreaterThan(g.q50);
  });

  it('names the departing feature as the top driver, with its expected value under the context', () => {
    const train = plant(3000, 9);
    const model = fitAnomaly(train, ['f0', 'f1', 'f2'], CONTEXT, range(0, 2000), range(2000, 3000));
    const scorer = new AnomalyScorer(model);
    // f1's level where f0's belongs and the reverse: both depart; the expected values are the recipe's.
    const d = scorer.drivers([2 + 8 * 0.9 + 3, 30 + 20 * 0.81 + 6, 0.1], 0.9, 12, NaN, 2);
    expect(d[0]!.feature).toBe('f1');
    expect(d[0]!.z).toBeGreaterThan(5);
    expect(d[0]!.expected).toBeCloseTo(30 + 20 * 0.81, 0);
  });

  it('is robust to a few abnormal instants hidden in the normal period (trimmed refit)', () => {
    const clean = plant(3000, 4);
    const dirty = plant(3000, 4, { drift: 3, driftFrom: 1900 }); // the last 100 fitting rows degraded
    const fit = (d: Columns, trim: number) =>
      new AnomalyScorer(fitAnomaly(d, ['f0', 'f1', 'f2'], CONTEXT, range(0, 2000), range(0, 1800), { trim }));
    const probe = plant(500, 44, { drift: 1.5 });
    const score = (s: AnomalyScorer) =>
      s.scoreColumns(probe, range(0, 500)).reduce((a, v) => a + v.score, 0) / 500;
    const reference = score(fit(clean, 0.1));
    // The default trim (0.1) recovers the clean model's view of a departure; no trim does not.
    expect(Math.abs(score(fit(dirty, 0.1)) - reference) / reference).toBeLessThan(0.1);
    expect(Math.abs(score(fit(dirty, 0)) - reference) / reference).toBeGreaterThan(0.3);
  });
});
