import { describe, expect, it } from 'vitest';
import { availability, fitWeibull, kaplanMeier } from '../../models/index.ts';
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

  it('MTBF, MTTR and availability', () => {
    const a = availability({ hours: [100, 50, 30], failed: [1, 1, 0] }, [2, 6]);
    expect(a.mtbf_h).toBe(90);
    expect(a.mttr_h).toBe(4);
    expect(a.availability).toBeCloseTo(90 / 94, 12);
  });
});
