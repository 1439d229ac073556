import { describe, expect, it } from 'vitest';
import { remainingLife } from '../../features/index.ts';
import type { WeibullFit } from '../../models/index.ts';
import { expectedCappedRul, livesFromAges, rulTargets } from '../../pipelines/rul-targets.ts';
import { Rng } from '../../src/sim/rng.ts';

const H = 3.6e9; // one hour in microseconds

describe('RUL targets for censored instants', () => {
  it('the expected capped RUL matches the closed form when lives are exponential (shape 1: memoryless)', () => {
    const w: WeibullFit = {
      shape: 1,
      scale: 50,
      shapeCi: [1, 1],
      scaleCi: [50, 50],
      failures: 10,
      censored: 0,
    };
    for (const [age, c, cap] of [
      [0, 0, 168],
      [30, 10, 168],
      [200, 100, 120],
      [5, 170, 168],
    ] as const) {
      // E[min(T - a, cap) | T > a + c] = c + scale (1 - exp(-(cap - c) / scale)) for c < cap.
      const exact = c >= cap ? cap : c + 50 * (1 - Math.exp(-(cap - c) / 50));
      expect(expectedCappedRul(w, age, c, cap)).toBeCloseTo(exact, 1);
    }
  });

  it('the expected capped RUL agrees with a Monte-Carlo estimate for a wearing-out Weibull (shape 2.5)', () => {
    const w: WeibullFit = {
      shape: 2.5,
      scale: 120,
      shapeCi: [2.5, 2.5],
      scaleCi: [120, 120],
      failures: 10,
      censored: 0,
    };
    const rng = new Rng(3, 'weibull');
    const age = 60;
    const c = 20;
    const cap = 168;
    let sum = 0;
    let n = 0;
    while (n < 200_000) {
      const t = 120 * Math.pow(-Math.log(1 - rng.uniform(0, 1)), 1 / 2.5);
      if (t <= age + c) continue;
      sum += Math.min(t - age, cap);
      n++;
    }
    expect(expectedCappedRul(w, age, c, cap)).toBeCloseTo(sum / n, 0);
  });

  it('cuts lives where the age resets: a failure before the reset ends one, a maintenance censors one', () => {
    // One machine, hourly instants: age 0..9 then a failure at 9.5 h and a repair (age restarts),
    // age 0..4 then a preventive maintenance (no failure), age 0..3 until the end of observation.
    const ages = [...Array.from({ length: 10 }, (_, i) => i), ...[0, 1, 2, 3, 4], ...[0, 1, 2, 3]];
    const ts = Float64Array.from(ages, (_, i) => i * H);
    const eq = ages.map(() => 'm1');
    const failures = [{ equipment: 'm1', ts: 9.5 * H, mode: 'bearing' }];
    const lives = livesFromAges(ts, eq, Float64Array.from(ages), failures, 18.5 * H);
    expect(lives.failed).toEqual([1, 0, 0]);
    expect(lives.hours[0]).toBeCloseTo(9.5, 9);
    expect(lives.hours[1]).toBe(4);
    expect(lives.hours[2]).toBeCloseTo(3 + 0.5, 9); // last instant at 18 h, observed until 18.5 h
  });

  it('keeps every known target, imputes the censored ones between what was survived and the cap', () => {
    const rng = new Rng(8, 'rul-targets');
    const ts: number[] = [];
    const eq: string[] = [];
    const age: number[] = [];
    const failures: { equipment: string; ts: number; mode: string }[] = [];
    const end = 400 * H;
    for (const m of ['a', 'b', 'c', 'd']) {
      let born = 0;
      let dies = born + (40 + rng.uniform(0, 80)) * H;
      for (let t = 0; t < end; t += H) {
        if (t > dies) {
          failures.push({ equipment: m, ts: dies, mode: 'wear' });
          born = t;
          dies = born + (40 + rng.uniform(0, 80)) * H;
        }
        ts.push(t);
        eq.push(m);
        age.push((t - born) / H);
      }
    }
    const T = Float64Array.from(ts);
    const cap = 168;
    const known = remainingLife(T, eq, failures, end, cap);
    const r = rulTargets(T, eq, failures, end, cap, Float64Array.from(age));
    expect(r.weibull).not.toBeNull();
    let imputed = 0;
    for (let i = 0; i < T.length; i++) {
      if (known[i] === known[i]) expect(r.target[i]).toBe(known[i]);
      else {
        imputed++;
        const survived = (end - (T[i] as number)) / H;
        expect(r.target[i]).toBeGreaterThanOrEqual(survived);
        expect(r.target[i]).toBeLessThanOrEqual(cap);
      }
    }
    expect(imputed).toBe(r.imputed);
    expect(imputed).toBeGreaterThan(0);
  });
});
