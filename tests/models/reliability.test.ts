import { describe, expect, it } from 'vitest';
import { availability, fitWeibull, kaplanMeier, kaplanMeierWithCensors } from '../../models/index.ts';
import { Rng } from '../../src/sim/rng.ts';

describe('reliability statistics', () => {
  it('recovers Weibull parameters from right-censored lifetimes, with intervals around them', () => {
    const rng = new Rng(8, 'weibull');
    const hours: number[] = [];
    const failed: number[] = [];
    for (let i = 0; i < 800; i++) {
      const life = 100 * Math.pow(-Math.log(1 - rng.next()), 1 / 2); // shape 2, scale 100
      const censor = rng.uniform(20, 250);
      hours.push(Math.min(life, censor));
      failed.push(life <= censor ? 1 : 0);
    }
    const w = fitWeibull({ hours, failed });
    expect(w.censored).toBeGreaterThan(50);
    expect(w.shapeCi[0]).toBeLessThan(2);
    expect(w.shapeCi[1]).toBeGreaterThan(2);
    expect(w.scaleCi[0]).toBeLessThan(100);
    expect(w.scaleCi[1]).toBeGreaterThan(100);
    expect(Math.abs(w.shape - 2)).toBeLessThan(0.25);
    expect(() => fitWeibull({ hours: [1, 2], failed: [1, 0] })).toThrow(/at least 2 failures/);
  });

  it('computes Kaplan-Meier as the textbook does (censored leave the risk set without a step)', () => {
    // times 1(F) 2(C) 3(F) 3(F) 5(C): S(1) = 4/5, S(3) = 4/5 * (1 - 2/3)
    const km = kaplanMeier({ hours: [3, 1, 5, 3, 2], failed: [1, 1, 0, 1, 0] });
    expect(km.map((p) => p.hours)).toEqual([1, 3]);
    expect(km[0]!.survival).toBeCloseTo(0.8, 12);
    expect(km[1]!.survival).toBeCloseTo(0.8 / 3, 12);
    expect(km[1]!.atRisk).toBe(3);
  });

  it('gives Kaplan-Meier a log-log Greenwood 95 % interval and places each censored run on the curve', () => {
    // Same data: at t = 1, n = 5, d = 1: Greenwood sum 1/(5*4); at t = 3, n = 3, d = 2: + 2/(3*1).
    const { curve, censored } = kaplanMeierWithCensors({ hours: [3, 1, 5, 3, 2], failed: [1, 1, 0, 1, 0] });
    const z = 1.959963984540054;
    const band = (s: number, v: number) => {
      const c = (z * Math.sqrt(v)) / Math.abs(Math.log(s));
      return [s ** Math.exp(c), s ** Math.exp(-c)];
    };
    const [lo1, hi1] = band(0.8, 1 / 20);
    const [lo3, hi3] = band(0.8 / 3, 1 / 20 + 2 / 3);
    expect(curve[0]!.lo).toBeCloseTo(lo1!, 12);
    expect(curve[0]!.hi).toBeCloseTo(hi1!, 12);
    expect(curve[1]!.lo).toBeCloseTo(lo3!, 12);
    expect(curve[1]!.hi).toBeCloseTo(hi3!, 12);
    // Worked by hand: S(1) = 0.8 has the interval (0.204, 0.969).
    expect(curve[0]!.lo).toBeCloseTo(0.2038, 3);
    expect(curve[0]!.hi).toBeCloseTo(0.9692, 3);
    expect(censored.map((c) => c.hours)).toEqual([2, 5]);
    expect(censored[0]!.survival).toBeCloseTo(0.8, 12);
    expect(censored[1]!.survival).toBeCloseTo(0.8 / 3, 12);
    // The last at risk failing takes S to 0: no interval is claimed there.
    const end = kaplanMeier({ hours: [1, 2], failed: [1, 1] });
    expect(end.at(-1)).toMatchObject({ survival: 0, lo: null, hi: null });
  });

  it('keeps every Kaplan-Meier interval around its estimate inside [0, 1] on random censored data', () => {
    const rng = new Rng(11, 'km');
    for (let rep = 0; rep < 20; rep++) {
      const n = 5 + Math.floor(rng.next() * 60);
      const hours = Array.from({ length: n }, () => Math.round(rng.uniform(1, 200)));
      const failed = hours.map(() => (rng.next() < 0.7 ? 1 : 0));
      const { curve, censored } = kaplanMeierWithCensors({ hours, failed });
      expect(censored.length).toBe(failed.filter((f) => f === 0).length);
      for (const p of curve) {
        if (p.lo === null || p.hi === null) {
          expect(p.survival === 0 || p.survival === 1).toBe(true);
          continue;
        }
        expect(p.lo).toBeGreaterThanOrEqual(0);
        expect(p.lo).toBeLessThanOrEqual(p.survival);
        expect(p.hi).toBeGreaterThanOrEqual(p.survival);
        expect(p.hi).toBeLessThanOrEqual(1);
      }
    }
  });

  it('MTBF, MTTR and availability', () => {
    const a = availability({ hours: [100, 50, 30], failed: [1, 1, 0] }, [2, 6]);
    expect(a.mtbf_h).toBe(90);
    expect(a.mttr_h).toBe(4);
    expect(a.availability).toBeCloseTo(90 / 94, 12);
  });
});
