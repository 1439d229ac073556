import { describe, expect, it } from 'vitest';
import { rowBlocks, statsAtRows } from '../../features/at-rows.ts';
import { STATS } from '../../features/feature-set.ts';
import type { Stat, WindowSpec } from '../../features/feature-set.ts';
import { Rng } from '../../src/sim/rng.ts';
import { close, randomSeries } from '../helpers/series.ts';
import { judgedScale, naiveEwma, naiveStart, naiveStat } from './reference.ts';

// Skew and kurtosis come from shifted power sums (from-sums.ts), as in the online path, which
// loses about five digits on short, nearly flat windows: the online path gives the same numbers.
const REL: Partial<Record<Stat, number>> = { skew: 1e-5, kurt: 1e-5, slope: 1e-7 };

/** Ascending rows: about one in `every`, always the last, sometimes runs of neighbours. */
function chosenRows(rng: Rng, n: number, every: number): Int32Array {
  const rows: number[] = [];
  for (let i = 0; i < n - 1; i++) if (rng.chance(1 / every)) rows.push(i);
  rows.push(n - 1);
  return Int32Array.from(rows);
}

describe('statistics at chosen rows equal each window recomputed from scratch', () => {
  const rng = new Rng(20261203, 'at-rows');
  for (let trial = 0; trial < 30; trial++) {
    const n = rng.int(1, 4000);
    const every = rng.pick([1, 3, 20, 150]);
    it(`trial ${trial}: n=${n}, about one row in ${every}`, () => {
      const { t, x } = randomSeries(rng, n);
      const rows = chosenRows(rng, n, every);
      const blocks = rowBlocks(t, x, rows);
      const windows: WindowSpec[] = [
        { kind: 'time', seconds: rng.uniform(0.5, 20) },
        { kind: 'time', seconds: rng.uniform(20, 600) },
        { kind: 'time', seconds: rng.uniform(600, 5000) }, // many blocks per window
        { kind: 'count', rows: rng.int(1, 10) },
        { kind: 'count', rows: rng.int(10, 2000) },
      ];
      const magnitude = x.reduce((m, v) => (v === v ? Math.max(m, Math.abs(v)) : m), 0);
      for (const w of windows) {
        const outs = STATS.map(() => new Float64Array(rows.length));
        statsAtRows(t, x, w, STATS, blocks, outs);
        rows.forEach((i, q) => {
          const lo = naiveStart(t, i, w);
          STATS.forEach((s, k) => {
            const mag = judgedScale(s, t, x, lo, i, magnitude);
            const got = (outs[k] as Float64Array)[q] as number;
            const want = s === 'ewma' ? naiveEwma(t, x, w, i) : naiveStat(t, x, lo, i, s);
            if (!close(got, want, REL[s] ?? 1e-9, mag))
              throw new Error(
                `${s} over ${JSON.stringify(w)} at row ${i} (from ${lo}): got ${got}, want ${want}`,
              );
          });
        });
      }
      expect(rows[rows.length - 1]).toBe(n - 1);
    });
  }

  it('an all-missing series and a series whose windows start in an all-missing block', () => {
    const t = Float64Array.from({ length: 50 }, (_, i) => i);
    const x = Float64Array.from({ length: 50 }, (_, i) => (i < 20 ? NaN : i * 0.5));
    const rows = Int32Array.from([9, 19, 29, 49]);
    const outs = STATS.map(() => new Float64Array(rows.length));
    statsAtRows(t, x, { kind: 'time', seconds: 25 }, STATS, rowBlocks(t, x, rows), outs);
    const at = (s: Stat, q: number) => (outs[STATS.indexOf(s)] as Float64Array)[q];
    expect(at('count', 0)).toBe(0);
    expect(at('missing', 0)).toBe(1);
    expect(at('mean', 1)).toBeNaN();
    // Row 29 covers rows 5..29: 15 missing, then 20..29 with mean 12.25.
    expect(at('count', 2)).toBe(10);
    expect(at('missing', 2)).toBeCloseTo(15 / 25, 12);
    expect(at('mean', 2)).toBeCloseTo(12.25, 12);
    expect(at('delta', 2)).toBeCloseTo(4.5, 12);
    expect(at('slope', 2)).toBeCloseTo(0.5, 12);
  });
});
