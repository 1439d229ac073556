import { describe, expect, it } from 'vitest';
import { defineFeatureSet, STATS } from '../../features/feature-set.ts';
import { featuresAtLast } from '../../features/online.ts';
import type { Stat, WindowSpec } from '../../features/feature-set.ts';
import { lastWindowStart, statsAtLast } from '../../features/at-instant.ts';
import { rollingStats, windowStarts } from '../../features/rolling.ts';
import { Rng } from '../../src/sim/rng.ts';
import { rollingMax, rollingMin } from '../../features/kernels/extrema.ts';
import { rollingMean, rollingStd } from '../../features/kernels/moments.ts';
import { rollingSlope } from '../../features/kernels/trend.ts';
import { close, randomSeries } from '../helpers/series.ts';
import { judgedScale, naiveEwma, naiveStart, naiveStat } from './reference.ts';

// Tolerances: sums of many terms lose a few digits; higher moments amplify cancellation.
const REL: Partial<Record<Stat, number>> = { skew: 1e-6, kurt: 1e-6, slope: 1e-7 };

function windowsFor(rng: Rng): WindowSpec[] {
  return [
    { kind: 'time', seconds: rng.uniform(0.5, 5) },
    { kind: 'time', seconds: rng.uniform(5, 300) },
    { kind: 'count', rows: rng.int(1, 8) },
    { kind: 'count', rows: rng.int(8, 120) },
  ];
}

describe('rolling kernels against recomputing each window from scratch', () => {
  const rng = new Rng(20251124, 'rolling');
  for (let trial = 0; trial < 24; trial++) {
    const { t, x } = randomSeries(rng, rng.int(1, 600));
    for (const w of windowsFor(rng)) {
      it(`trial ${trial}, n=${x.length}, ${w.kind === 'time' ? `${w.seconds.toFixed(2)} s` : `${w.rows} rows`}`, () => {
        const outs = Object.fromEntries(STATS.map((s) => [s, new Float64Array(x.length)])) as Record<
          Stat,
          Float64Array
        >;
        const starts = windowStarts(t, w);
        rollingStats(t, x, w, STATS, outs, starts);
        const magnitude = x.reduce((m, v) => (v === v ? Math.max(m, Math.abs(v)) : m), 0);
        for (let i = 0; i < x.length; i++) {
          const lo = naiveStart(t, i, w);
          expect(starts[i]).toBe(lo);
          for (const s of STATS) {
            const want = s === 'ewma' ? naiveEwma(t, x, w, i) : naiveStat(t, x, lo, i, s);
            const got = outs[s][i] as number;
            const mag = judgedScale(s, t, x, lo, i, magnitude);
            if (!close(got, want, REL[s] ?? 1e-9, mag)) {
              throw new Error(`${s} at row ${i} (window ${lo}..${i}): got ${got}, want ${want}`);
            }
          }
        }
      });
    }
  }
});

describe('online evaluation at the last instant equals the rolling value there', () => {
  const rng = new Rng(7, 'online');
  it('for random series and windows', () => {
    for (let trial = 0; trial < 40; trial++) {
      const { t, x } = randomSeries(rng, rng.int(1, 800));
      for (const w of windowsFor(rng)) {
        const outs = Object.fromEntries(STATS.map((s) => [s, new Float64Array(x.length)])) as Record<
          Stat,
          Float64Array
        >;
        rollingStats(t, x, w, STATS, outs);
        const at = new Float64Array(STATS.length);
        statsAtLast(t, x, w, STATS, at, 0);
        const magnitude = x.reduce((m, v) => (v === v ? Math.max(m, Math.abs(v)) : m), 0);
        STATS.forEach((s, k) => {
          const rolled = outs[s][x.length - 1] as number;
          const lo = lastWindowStart(t, w);
          const mag = judgedScale(s, t, x, lo, x.length - 1, magnitude);
          expect(close(at[k] as number, rolled, REL[s] ?? 1e-9, mag), `${s}: ${at[k]} vs ${rolled}`).toBe(
            true,
          );
        });
      }
    }
  });
});

describe('the online vector of series with missing values, one backward pass, equals each window on its own', () => {
  const rng = new Rng(31, 'online-gappy');
  it('for random series with gaps, repeated instants and NaN runs, or a regular grid, several windows at once', () => {
    let gappy = 0;
    for (let trial = 0; trial < 40; trial++) {
      const n = rng.int(2, 3000);
      const a = randomSeries(rng, n);
      const b = randomSeries(rng, n); // a second sensor on the same instants
      // Every other trial on a regular 1 s grid (outages are NaN runs there): the EWMAs' fast pass.
      if (trial % 2 === 1) a.t.forEach((_, i) => (a.t[i] = 1.7e9 + i));
      const windows = windowsFor(rng);
      const fs = defineFeatureSet({ name: 'g', sensors: ['a', 'b'], windows, stats: [...STATS] });
      const online = featuresAtLast(fs, a.t, [a.x, b.x]);
      if (a.x.some((v) => Number.isNaN(v))) gappy++;
      let k = 0;
      for (const x of [a.x, b.x]) {
        const magnitude = x.reduce((m, v) => (v === v ? Math.max(m, Math.abs(v)) : m), 0);
        for (const w of windows) {
          const each = new Float64Array(STATS.length);
          statsAtLast(a.t, x, w, STATS, each, 0);
          const lo = lastWindowStart(a.t, w);
          STATS.forEach((s, j) => {
            const mag = judgedScale(s, a.t, x, lo, n - 1, magnitude);
            const got = online[k + j] as number;
            expect(
              close(got, each[j] as number, REL[s] ?? 1e-9, mag),
              `${s} ${JSON.stringify(w)}: ${got} vs ${each[j]}`,
            ).toBe(true);
          });
          k += STATS.length;
        }
      }
    }
    expect(gappy).toBeGreaterThan(30); // the missing-value pass is what ran
  });
});

describe('definitions at the edges', () => {
  it('an all-missing window gives NaN statistics, count 0 and missing ratio 1', () => {
    const t = Float64Array.from([0, 1, 2]);
    const x = Float64Array.from([NaN, NaN, NaN]);
    const outs = Object.fromEntries(STATS.map((s) => [s, new Float64Array(3)])) as Record<Stat, Float64Array>;
    rollingStats(t, x, { kind: 'count', rows: 2 }, STATS, outs);
    expect(outs.mean[2]).toBeNaN();
    expect(outs.max[2]).toBeNaN();
    expect(outs.count[2]).toBe(0);
    expect(outs.missing[2]).toBe(1);
  });
  it('a time window includes its right edge and excludes its left edge', () => {
    const t = Float64Array.from([0, 10, 20, 30]);
    const x = Float64Array.from([1, 2, 3, 4]);
    const mean = new Float64Array(4);
    rollingStats(t, x, { kind: 'time', seconds: 10 }, ['mean'], { mean });
    expect(Array.from(mean)).toEqual([1, 2, 3, 4]); // t - 10 is outside
    rollingStats(t, x, { kind: 'time', seconds: 10.5 }, ['mean'], { mean });
    expect(Array.from(mean)).toEqual([1, 1.5, 2.5, 3.5]);
  });
  it('slope is in value units per second and undefined when all times coincide', () => {
    const t = Float64Array.from([0, 2, 4, 4, 4]);
    const x = Float64Array.from([1, 2, 3, 3, 3]);
    const slope = new Float64Array(5);
    rollingStats(t, x, { kind: 'time', seconds: 100 }, ['slope'], { slope });
    expect(slope[0]).toBeNaN();
    expect(slope[4]).toBeCloseTo(0.5, 12);
    rollingStats(t, x, { kind: 'count', rows: 2 }, ['slope'], { slope });
    expect(slope[4]).toBeNaN(); // rows 3 and 4 share t = 4
  });
});

describe('dense fast paths (no NaN) agree with the general kernels', () => {
  const rng = new Rng(99, 'dense');
  const cases: [string, boolean][] = [
    ['regular sampling', true],
    ['irregular sampling', false],
  ];
  for (const [label, regular] of cases) {
    it(`${label}, long enough to cross the periodic rebuilds`, () => {
      const n = 10_000;
      const t = new Float64Array(n);
      const x = new Float64Array(n);
      let level = 1e4;
      for (let i = 0; i < n; i++) {
        t[i] = regular
          ? 1.7e9 + i
          : (i > 0 ? (t[i - 1] as number) : 1.7e9) + (rng.chance(0.1) ? 0 : rng.exponential(1));
        level += rng.normal() * 0.5; // a drifting level: precision must follow it
        x[i] = level + rng.normal();
      }
      for (const w of [
        { kind: 'count', rows: 60 },
        { kind: 'count', rows: 600 },
        { kind: 'time', seconds: 60 },
        { kind: 'time', seconds: 600 },
      ] as WindowSpec[]) {
        const fast = Object.fromEntries(STATS.map((s) => [s, new Float64Array(n)])) as Record<
          Stat,
          Float64Array
        >;
        rollingStats(t, x, w, STATS, fast);
        // The general kernels see the same data with one NaN appended (not dense any more).
        const t2 = Float64Array.from([...t, (t[n - 1] as number) + 1]);
        const x2 = Float64Array.from([...x, NaN]);
        const slow = Object.fromEntries(STATS.map((s) => [s, new Float64Array(n + 1)])) as Record<
          Stat,
          Float64Array
        >;
        rollingStats(t2, x2, w, STATS, slow);
        // The online vector (one backward pass, EWMA as a dot product) at the last row, too.
        const fs = defineFeatureSet({ name: 'd', sensors: ['x'], windows: [w], stats: [...STATS] });
        const online = featuresAtLast(fs, t, [x]);
        STATS.forEach((s, k) => {
          const mag = s === 'skew' || s === 'kurt' ? 1 : s === 'slope' ? 1 : s === 'std' ? 10 : 1e4;
          expect(
            close(online[k] as number, fast[s][n - 1] as number, 1e-9, mag),
            `online ${s} ${JSON.stringify(w)}: ${online[k]} vs ${fast[s][n - 1]}`,
          ).toBe(true);
        });
        for (const s of ['mean', 'std', 'min', 'max', 'ptp', 'slope'] as const) {
          for (let i = 0; i < n; i++) {
            const mag = s === 'slope' ? 1 : s === 'std' ? 10 : 1e4;
            if (!close(fast[s][i] as number, slow[s][i] as number, 1e-10, mag)) {
              throw new Error(
                `${s} ${JSON.stringify(w)} row ${i}: fast ${fast[s][i]} vs general ${slow[s][i]}`,
              );
            }
          }
        }
      }
    });
  }
});

describe('the blocked kernels for series with missing values agree with the exact kernels', () => {
  const rng = new Rng(4242, 'gappy');
  const cases: [string, boolean][] = [
    ['regular sampling', true],
    ['irregular sampling', false],
  ];
  for (const [label, regular] of cases) {
    it(`${label}, outages and scattered NaN, long enough to cross the periodic rebuilds`, () => {
      const n = 12_000;
      const t = new Float64Array(n);
      const x = new Float64Array(n);
      let level = rng.pick([0, 1e4, -300]);
      let outage = 0;
      for (let i = 0; i < n; i++) {
        t[i] = regular
          ? 1.7e9 + i
          : (i > 0 ? (t[i - 1] as number) : 1.7e9) + (rng.chance(0.1) ? 0 : rng.exponential(1));
        level += rng.normal() * 0.5;
        // Outages of up to 900 rows empty whole windows; 5 % of the rest are missing.
        if (outage === 0 && rng.chance(0.001)) outage = rng.int(1, 900);
        x[i] = outage > 0 || rng.chance(0.05) ? NaN : level + rng.normal();
        if (outage > 0) outage--;
      }
      for (const w of [
        { kind: 'count', rows: 1 },
        { kind: 'count', rows: 60 },
        { kind: 'count', rows: 600 },
        { kind: 'time', seconds: 60 },
        { kind: 'time', seconds: 600 },
      ] as WindowSpec[]) {
        const starts = windowStarts(t, w);
        const fast = Object.fromEntries(STATS.map((s) => [s, new Float64Array(n)])) as Record<
          Stat,
          Float64Array
        >;
        rollingStats(t, x, w, STATS, fast, starts, false);
        const exact = {
          mean: rollingMean(x, starts, new Float64Array(n)),
          std: rollingStd(x, starts, new Float64Array(n)),
          min: rollingMin(x, starts, new Float64Array(n)),
          max: rollingMax(x, starts, new Float64Array(n)),
          slope: rollingSlope(t, x, starts, new Float64Array(n)),
        };
        let nanWindows = 0;
        for (const s of ['mean', 'std', 'min', 'max', 'slope'] as const) {
          for (let i = 0; i < n; i++) {
            if (s === 'mean' && Number.isNaN(exact.mean[i])) nanWindows++;
            const mag = s === 'slope' ? 1 : s === 'std' ? 10 : Math.abs(level) + 1e3;
            if (!close(fast[s][i] as number, exact[s][i] as number, 1e-10, mag)) {
              throw new Error(
                `${s} ${JSON.stringify(w)} row ${i}: blocked ${fast[s][i]} vs exact ${exact[s][i]}`,
              );
            }
          }
        }
        // Asked alone, each statistic takes its own kernel (mean and std share one pass, as do
        // min and max, when both are asked): the same numbers.
        for (const s of ['mean', 'std', 'min', 'max'] as const) {
          const alone = { [s]: new Float64Array(n) } as Record<Stat, Float64Array>;
          rollingStats(t, x, w, [s], alone, starts, false);
          expect(alone[s], `${s} alone, ${JSON.stringify(w)}`).toEqual(fast[s]);
        }
        // The data exercises what it is for: windows with no value at all, and values in most.
        expect(nanWindows).toBeGreaterThan(0);
        expect(nanWindows).toBeLessThan(n / 2);
      }
    });
  }
});

describe('the blocked min and max with infinities among the values', () => {
  // The blocked pass tells a window with no value present from one holding only +Infinity (or only
  // -Infinity) by both extremes at once: exact agreement with the deques here, runs included.
  it('equal the exact kernels on windows of infinities only, of no value, and of both', () => {
    const rng = new Rng(777, 'gappy-infinities');
    for (let trial = 0; trial < 20; trial++) {
      const n = rng.int(500, 3000);
      const t = Float64Array.from({ length: n }, (_, i) => 1.7e9 + i);
      const x = new Float64Array(n);
      const kinds = [NaN, Infinity, -Infinity, 0];
      for (let i = 0; i < n;) {
        // Runs of one kind (long enough to fill windows), or single values of any.
        const kind = rng.pick(kinds);
        const len = rng.chance(0.3) ? rng.int(1, 200) : 1;
        for (let j = 0; j < len && i < n; j++, i++) x[i] = kind === 0 ? rng.normal() * 10 : kind;
      }
      for (const rows of [1, 2, rng.int(3, 40), rng.int(40, 300)]) {
        const w: WindowSpec = { kind: 'count', rows };
        const starts = windowStarts(t, w);
        const fast = { min: new Float64Array(n), max: new Float64Array(n) };
        rollingStats(t, x, w, ['min', 'max'], fast, starts, false);
        expect(fast.min, `min, ${rows} rows, trial ${trial}`).toEqual(
          rollingMin(x, starts, new Float64Array(n)),
        );
        expect(fast.max, `max, ${rows} rows, trial ${trial}`).toEqual(
          rollingMax(x, starts, new Float64Array(n)),
        );
      }
    }
  });
});

describe('a count window far longer than the series, with missing values', () => {
  // The mean/std kernel's table of 1/k is sized by the values a window can hold (at most the
  // series' length), not by the window's declared rows: 2^31 - 1 rows once asked for 16 GB.
  it('gives every statistic as the whole series so far', () => {
    const n = 50;
    const t = Float64Array.from({ length: n }, (_, i) => 1.7e9 + i);
    const x = Float64Array.from({ length: n }, (_, i) => (i % 7 === 3 ? NaN : Math.sin(i) * 10));
    const huge: WindowSpec = { kind: 'count', rows: 2 ** 31 - 1 };
    const whole: WindowSpec = { kind: 'count', rows: n };
    const stats: Stat[] = ['mean', 'std', 'min', 'max'];
    const out = (w: WindowSpec) => {
      const o = Object.fromEntries(stats.map((s) => [s, new Float64Array(n)])) as Record<Stat, Float64Array>;
      rollingStats(t, x, w, stats, o, windowStarts(t, w), false);
      return o;
    };
    expect(out(huge)).toEqual(out(whole));
  });
});
