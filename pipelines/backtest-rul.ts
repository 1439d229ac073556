/**
 * Walk-forward backtest of remaining useful life on stored history: in each fold the forest trains
 * on the instants before the cut, with the capped RUL known at the cut (failure seen, or the cap
 * reached) or, for censored ones, its expectation (rul-targets.ts), and predicts the next period's
 * instants whose RUL is known. Set beside two baselines: mean life (the mean hours from a
 * maintenance to a failure seen in training, minus the hours since the last maintenance, capped)
 * and the fold's Weibull survival model alone.
 */
import { remainingLife } from '../features/index.ts';
import type { FeatureSet } from '../features/index.ts';
import {
  compileForest,
  mae,
  phm08,
  predictColumns,
  rmse,
  trainForestParallel,
  treePredictions,
} from '../models/index.ts';
import type { Store } from '../src/store/index.ts';
import type { TimeRange } from './data.ts';
import { computeStoreFeatures, featureMatrix } from './features.ts';
import { expectedCappedRul, rulTargets } from './rul-targets.ts';
import { RUL_FOREST } from './train.ts';
import type { FeatureRun } from './features.ts';

export interface RulBacktest {
  readonly cap_h: number;
  readonly folds: number;
  readonly test_rows: number;
  readonly rmse_h: number;
  readonly mae_h: number;
  /** PHM08 asymmetric score on hours (late predictions cost more), summed over test rows. */
  readonly phm08: number;
  /** Share of test rows whose true RUL lies in the trees' 10-90 % interval. */
  readonly interval_coverage: number;
  /**
   * The 10th and 90th percentiles of the test residuals (truth - prediction, hours) over all
   * folds: added to a prediction they give an interval calibrated out of sample.
   */
  readonly residual_q10_h: number;
  readonly residual_q90_h: number;
  /** Coverage of that residual interval checked out of sample: each fold uses the earlier folds' residuals. */
  readonly residual_interval_coverage: number;
  readonly baseline: { readonly name: string; readonly rmse_h: number; readonly mae_h: number };
  /**
   * A second baseline, the survival model alone: the expected capped RUL at the instant's age under
   * the Weibull fitted (censored lives included) to each fold's training history; over the rows
   * it could score (`rows`).
   */
  /**
   * Test instants with a censored RUL (the machine ran on past the end of observation, less than
   * the cap later): the truth is only "more than it survived", so RMSE cannot use them; a
   * prediction below what was survived is certainly too low. Shares of such instants, model and
   * mean-life baseline: the instants RMSE is computed on are all run-ups to failures, which favours
   * short predictions, and this is the other side.
   */
  readonly censored: {
    readonly rows: number;
    readonly model_too_low: number;
    readonly baseline_too_low: number;
  };
  readonly weibull_baseline: { readonly rmse_h: number; readonly mae_h: number; readonly rows: number };
}

export async function backtestRul(
  store: Store,
  fs: FeatureSet,
  range: TimeRange,
  o: {
    capHours?: number;
    folds?: number;
    everySeconds?: number;
    trees?: number;
    features?: FeatureRun;
    /** Impute censored instants' targets (default true; see rul-targets.ts); false drops them. */
    censoring?: boolean;
  } = {},
): Promise<RulBacktest> {
  const cap = o.capHours ?? 168;
  const folds = o.folds ?? 3;
  const run = o.features ?? (await computeStoreFeatures(store, fs, range, o.everySeconds ?? 600));
  const { ts, equipment, columns: X } = featureMatrix(run.features, fs);
  const sinceRepair = fs.columns.indexOf('hours_since_maintenance');
  let t0 = Infinity;
  let t1 = -Infinity;
  for (const t of ts) {
    t0 = Math.min(t0, t);
    t1 = Math.max(t1, t);
  }
  const truth = remainingLife(ts, equipment, run.failures, range.to, cap);
  const cuts = Array.from({ length: folds + 1 }, (_, k) => t0 + (0.5 + (0.5 * k) / folds) * (t1 - t0));
  const pick = (rows: number[]) => X.map((col) => Float64Array.from(rows, (r) => col[r] as number));
  const pred: number[] = [];
  const lo: number[] = [];
  const hi: number[] = [];
  const actual: number[] = [];
  const base: number[] = [];
  const weib: number[] = [];
  const censored = { rows: 0, modelTooLow: 0, baselineTooLow: 0 };
  const foldOf: number[] = [];
  for (let k = 0; k < folds; k++) {
    const cut = cuts[k] as number;
    const next = cuts[k + 1] as number;
    const age = sinceRepair < 0 ? undefined : (X[sinceRepair] as Float64Array);
    const targets = rulTargets(ts, equipment, run.failures, cut, cap, age);
    const known =
      o.censoring === false ? remainingLife(ts, equipment, run.failures, cut, cap) : targets.target;
    const weibull = targets.weibull;
    const fit: number[] = [];
    for (let i = 0; i < ts.length; i++) if ((ts[i] as number) < cut && known[i] === known[i]) fit.push(i);
    // The next period's instants: those whose RUL is known are scored; the censored ones (no failure
    // before the end of observation, less than the cap later) have only a bound, RUL > what they
    // survived, and are scored apart.
    const test: number[] = [];
    const censoredTest: number[] = [];
    for (let i = 0; i < ts.length; i++) {
      const t = ts[i] as number;
      if (t < cut || t >= (k === folds - 1 ? next + 1 : next)) continue;
      (truth[i] === truth[i] ? test : censoredTest).push(i);
    }
    if (fit.length < 50 || test.length === 0) continue;
    const forest = await trainForestParallel(
      pick(fit),
      Float64Array.from(fit, (i) => known[i] as number),
      { ...RUL_FOREST, trees: o.trees ?? 100, seed: 29 + k },
    );
    const compiled = compileForest(forest);
    const Xt = pick(test);
    const mean = predictColumns(compiled, Xt);
    // Mean life: hours from the last maintenance to each failure in the training period.
    const lives = run.failures
      .filter((e) => e.ts < cut)
      .map((e) => {
        let best = -1;
        for (const i of fit)
          if (
            equipment[i] === e.equipment &&
            (ts[i] as number) <= e.ts &&
            (best < 0 || (ts[i] as number) > (ts[best] as number))
          )
            best = i;
        return best < 0 || sinceRepair < 0
          ? NaN
          : ((X[sinceRepair] as Float64Array)[best] as number) + (e.ts - (ts[best] as number)) / 3.6e9;
      })
      .filter((v) => v === v);
    const meanLife = lives.length > 0 ? lives.reduce((s, v) => s + v, 0) / lives.length : cap;
    const ageAt = (i: number) => (age === undefined ? NaN : (age[i] as number));
    const meanLifeAt = (i: number) => {
      const h = ageAt(i);
      return Math.min(cap, Math.max(0, meanLife - (h === h ? h : 0)));
    };
    const row = new Float64Array(X.length);
    const each = new Float64Array(compiled.trees);
    test.forEach((i, j) => {
      pred.push(mean[j] as number);
      for (let f = 0; f < X.length; f++) row[f] = (X[f] as Float64Array)[i] as number;
      treePredictions(compiled, row, each).sort();
      lo.push(each[Math.floor(0.1 * each.length)] as number);
      hi.push(each[Math.min(each.length - 1, Math.floor(0.9 * each.length))] as number);
      actual.push(truth[i] as number);
      foldOf.push(k);
      base.push(meanLifeAt(i));
      // The survival model alone: E[min(T - age, cap) | T > age] under the fold's Weibull.
      const h = ageAt(i);
      weib.push(weibull && h === h ? expectedCappedRul(weibull, h, 0, cap) : NaN);
    });
    if (censoredTest.length > 0) {
      const cp = predictColumns(compiled, pick(censoredTest));
      censoredTest.forEach((i, j) => {
        const survived = (range.to - (ts[i] as number)) / 3.6e9;
        censored.rows++;
        if ((cp[j] as number) < survived) censored.modelTooLow++;
        if (meanLifeAt(i) < survived) censored.baselineTooLow++;
      });
    }
  }
  const round = (v: number, d = 3) => Math.round(v * 10 ** d) / 10 ** d;
  const residuals = (keep: (j: number) => boolean) =>
    actual
      .map((a, j) => (keep(j) ? a - (pred[j] as number) : NaN))
      .filter((v) => v === v)
      .sort((a, b) => a - b);
  const q = (sorted: number[], p: number) =>
    sorted.length ? (sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] as number) : NaN;
  // Out of sample: fold k's interval from the residuals of folds before k.
  let covered = 0;
  let checked = 0;
  for (let k = 1; k < folds; k++) {
    const before = residuals((j) => (foldOf[j] as number) < k);
    if (before.length < 20) continue;
    const lo10 = q(before, 0.1);
    const hi90 = q(before, 0.9);
    actual.forEach((a, j) => {
      if (foldOf[j] !== k) return;
      checked++;
      const p = pred[j] as number;
      if (a >= Math.max(0, p + lo10) && a <= p + hi90) covered++;
    });
  }
  const all = residuals(() => true);
  let inside = 0;
  actual.forEach((a, j) => {
    if (a >= (lo[j] as number) && a <= (hi[j] as number)) inside++;
  });
  return {
    cap_h: cap,
    folds,
    test_rows: actual.length,
    rmse_h: round(actual.length ? rmse(pred, actual) : NaN),
    mae_h: round(actual.length ? mae(pred, actual) : NaN),
    phm08: round(actual.length ? phm08(pred, actual) : NaN, 1),
    interval_coverage: round(actual.length ? inside / actual.length : NaN),
    residual_q10_h: round(q(all, 0.1)),
    residual_q90_h: round(q(all, 0.9)),
    residual_interval_coverage: round(checked ? covered / checked : NaN),
    censored: {
      rows: censored.rows,
      model_too_low: round(censored.rows ? censored.modelTooLow / censored.rows : NaN),
      baseline_too_low: round(censored.rows ? censored.baselineTooLow / censored.rows : NaN),
    },
    weibull_baseline: (() => {
      const keep = weib.map((_, j) => j).filter((j) => (weib[j] as number) === (weib[j] as number));
      const w = keep.map((j) => weib[j] as number);
      const a = keep.map((j) => actual[j] as number);
      return {
        rmse_h: round(w.length ? rmse(w, a) : NaN),
        mae_h: round(w.length ? mae(w, a) : NaN),
        rows: w.length,
      };
    })(),
    baseline: {
      name: 'mean hours from maintenance to failure, minus hours since maintenance',
      rmse_h: round(actual.length ? rmse(base, actual) : NaN),
      mae_h: round(actual.length ? mae(base, actual) : NaN),
    },
  };
}
