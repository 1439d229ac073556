import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { AnomalyScorer, fitAnomaly } from '../../models/anomaly.ts';
import type { Columns } from '../../models/anomaly.ts';
import {
  ContextZExpander,
  contextZOf,
  ModelRegistry,
  predictColumns,
  trainForest,
} from '../../models/index.ts';
import { servedFailure } from '../../src/scoring/served.ts';
import { Rng } from '../../src/sim/rng.ts';

/**
 * Two classes (codes 7 and 9) running three products at different loads; `level` follows the load
 * and the product, `spread` is noise, `other` is a feature the normaliser does not read. NaN gaps
 * in values, load and product; from row `unseenFrom` on, some rows of a class no fit has seen (code 5).
 */
function plant(n: number, seed: number, unseenFrom = Infinity): Columns {
  const rng = new Rng(seed, 'context-z');
  const cols = {
    level: new Float64Array(n),
    spread: new Float64Array(n),
    other: new Float64Array(n),
    batch_load: new Float64Array(n),
    product_code: new Float64Array(n),
    equipment_class: new Float64Array(n),
  };
  for (let i = 0; i < n; i++) {
    const idle = rng.chance(0.15);
    const product = rng.pick([101, 202, 303]);
    const L = idle ? 0 : rng.uniform(0.3, 1);
    const cls = rng.chance(0.03) && i >= unseenFrom ? 5 : rng.chance(0.5) ? 7 : 9;
    cols.batch_load[i] = rng.chance(0.02) ? NaN : L;
    cols.product_code[i] = idle ? NaN : product;
    cols.equipment_class[i] = cls;
    cols.level[i] = rng.chance(0.05)
      ? NaN
      : cls + 10 * L + (product === 202 ? 2 : 0) + rng.normal() * (0.2 + L);
    cols.spread[i] = Math.abs(rng.normal());
    cols.other[i] = rng.normal();
  }
  return { names: Object.keys(cols), columns: Object.values(cols) };
}

const CONTEXT = { load: 'batch_load', product: 'product_code', group: 'equipment_class' };
const range = (a: number, b: number) => Array.from({ length: b - a }, (_, k) => a + k);

describe('context z columns', () => {
  it("equal the anomaly model's own z of each feature, a row at a time and a column at a time", () => {
    for (const seed of [1, 2, 3]) {
      const data = plant(3000, seed, 2000);
      const features = ['level', 'spread'];
      const model = fitAnomaly(data, features, CONTEXT, range(0, 2000), range(2000, 2500));
      const scorer = new AnomalyScorer(model);
      const expander = new ContextZExpander(contextZOf(model), data.names);
      expect(expander.names()).toEqual([...data.names, 'level__z', 'spread__z']);
      const wide = expander.expandColumns(data.columns);
      expect(wide).toHaveLength(data.names.length + 2);
      const at = (name: string, i: number) => data.columns[data.names.indexOf(name)]![i]!;
      let compared = 0;
      for (let i = 2000; i < 3000; i++) {
        const row = data.columns.map((c) => c[i]!);
        const one = expander.expandRow(row);
        // Both paths give the same bits, and the base columns pass through unchanged.
        expect(Array.from(one), `row ${i}`).toEqual(wide.map((c) => c[i]!));
        expect(Array.from(one.subarray(0, row.length))).toEqual(row);
        const { drivers } = scorer.explain(
          [at('level', i), at('spread', i)],
          at('batch_load', i),
          at('product_code', i),
          at('equipment_class', i),
          features.length,
        );
        const z = new Map(drivers.map((d) => [d.feature, d.z]));
        features.forEach((f, k) => {
          const mine = one[row.length + k]!;
          if (z.has(f)) {
            compared++;
            expect(mine, `row ${i} ${f}`).toBeCloseTo(z.get(f)!, 12);
          } else expect(mine, `row ${i} ${f}: the scorer had no z`).toBeNaN();
        });
        // A class no fit saw has no normal to read against: every z is missing.
        if (at('equipment_class', i) === 5) expect(Array.from(one.subarray(row.length))).toEqual([NaN, NaN]);
      }
      expect(compared).toBeGreaterThan(1500);
      expect(data.columns[5]!.subarray(2000).includes(5)).toBe(true);
    }
  });

  it('a feature or context the vector lacks reads as missing, not as another column', () => {
    const data = plant(1500, 4);
    const cz = contextZOf(fitAnomaly(data, ['level', 'spread'], CONTEXT, range(0, 1000), range(1000, 1500)));
    // A feature set without `spread`: its z is NaN; `level`'s z is the one of the full vector.
    const names = data.names.filter((n) => n !== 'spread');
    const narrow = new ContextZExpander(cz, names);
    const full = new ContextZExpander(cz, data.names);
    for (let i = 1000; i < 1100; i++) {
      const row = data.columns.map((c) => c[i]!);
      const a = narrow.expandRow(names.map((n) => row[data.names.indexOf(n)]!));
      const b = full.expandRow(row);
      expect(a[names.length + 1]).toBeNaN();
      expect(Object.is(a[names.length], b[data.names.length])).toBe(true);
    }
  });

  it('are saved inside the checksummed model and served exactly as training computed them', () => {
    const data = plant(2000, 5);
    const cz = contextZOf(fitAnomaly(data, ['level'], CONTEXT, range(0, 1200), range(1200, 1500)));
    const expander = new ContextZExpander(cz, data.names);
    const X = expander.expandColumns(data.columns).map((c) => c.slice(0, 1500));
    const rng = new Rng(9, 'labels');
    const y = Float64Array.from(X[X.length - 1]!, (z) => (z > 1.5 || rng.chance(0.05) ? 1 : 0));
    const forest = trainForest(X, y, { task: 'classification', trees: 10, maxDepth: 6, seed: 2 });
    const registry = new ModelRegistry(mkdtempSync(path.join(os.tmpdir(), 'pdm-context-z-')));
    const info = {
      kind: 'failure-classifier',
      featureSet: 'fs',
      featureSetHash: 'h',
      featureNames: expander.names(),
      trainingWindow: null,
      rows: 1500,
      metrics: {},
    };
    // The names must cover the forest's whole input.
    expect(() => registry.save('m', forest, { ...info, featureNames: data.names })).toThrow(
      /6 feature names for a forest of 7 inputs/,
    );
    const meta = registry.save('m', forest, info, cz);
    const loaded = registry.load('m', meta.version);
    expect(loaded.contextZ).toEqual(cz);
    const served = servedFailure(loaded);
    const held = range(1500, 2000);
    const wide = expander.expandColumns(data.columns.map((c) => Float64Array.from(held, (i) => c[i]!)));
    const batch = predictColumns(loaded.compiled, wide);
    held.forEach((i, j) => {
      const x = Float64Array.from(data.columns, (c) => c[i]!);
      expect(served.probability(x), `row ${i}`).toBe(batch[j]);
    });
    // Drivers name the z columns as the model's features.
    const names = new Set(
      held.flatMap((i) =>
        served
          .drivers(
            Float64Array.from(data.columns, (c) => c[i]!),
            3,
          )
          .map((d) => d.feature),
      ),
    );
    expect(names.has('level__z')).toBe(true);
  });
});
