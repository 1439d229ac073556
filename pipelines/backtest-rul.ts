/**
 * Walk-forward backtest of remaining useful life on stored history, through the harness: each fold
 * fits the RUL kind on what is known before its cut (targets censored at the cut, conformal
 * residuals on the purged calibration slice) and predicts the next period's instants, each side
 * (model and references) at its served point, the prediction plus its median calibration residual. Those whose
 * RUL is known by the end of observation are scored (RMSE, MAE, PHM08, interval coverage per
 * nominal level); the censored ones (the machine ran on, less than the cap, past the end) have only
 * a bound and are scored apart. Set beside mean life and the Weibull, then judged by the gate.
 */
import { remainingLife } from '../features/index.ts';
import { censoredCoverage, mae, phm08, rmse, rulInterval } from '../models/index.ts';
import type { Store } from '../src/store/index.ts';
import type { TimeRange } from './data.ts';
import { NotEnoughHistory } from './failure-kind.ts';
import { computeStoreFeatures, evidenceOf } from './features.ts';
import type { FeatureRun } from './features.ts';
import { rulGate } from './gate.ts';
import type { Gate } from './gate.ts';
import { rowsWhere, walkForwardFolds } from './harness.ts';
import { fitRul, INTERVAL_LEVELS, rulPoints, rulPredictions } from './rul-kind.ts';
import type { ModelScope } from './scopes.ts';

export interface RulBacktest {
  readonly cap_h: number;
  readonly folds: number;
  readonly folds_used: number;
  readonly test_rows: number;
  readonly rmse_h: number;
  readonly mae_h: number;
  /** PHM08 asymmetric score on hours (late predictions cost more), summed over test rows. */
  readonly phm08: number;
  /**
   * Out-of-sample coverage of the 10-90 % conformal interval (nominal 0.8), over every test instant:
   * the Kaplan-Meier estimate that counts the censored ones too (see `coverage`).
   */
  readonly interval_coverage: number;
  /**
   * Coverage out of sample per nominal level: `observed` over every test instant (Kaplan-Meier of
   * the test residuals, censored at what the machine survived by the end), `known_only` over the
   * instants whose RUL is known (run-ups to failures seen in time: biased to short lives).
   */
  readonly coverage: { readonly level: number; readonly observed: number; readonly known_only: number }[];
  /** Mean life: mean hours from a maintenance to a failure seen in training, minus the age. */
  readonly baseline: { readonly name: string; readonly rmse_h: number; readonly mae_h: number };
  /**
   * The survival model alone: the expected capped RUL at the instant's age under the Weibull fitted
   * (censored lives included) to each fold's training history, over the rows it could score
   * (`rows`), with the model's RMSE on the same rows.
   */
  readonly weibull_baseline: {
    readonly rmse_h: number;
    readonly mae_h: number;
    readonly rows: number;
    readonly model_rmse_h: number;
  };
  /**
   * Test instants with a censored RUL: the truth is only "more than it survived", so RMSE cannot
   * use them; a prediction below what was survived is certainly too low. The instants RMSE is
   * computed on are all run-ups to failures, which favours short predictions; this is the other side.
   */
  readonly censored: {
    readonly rows: number;
    readonly model_too_low: number;
    readonly baseline_too_low: number;
  };
  readonly gate: Gate;
}

export async function backtestRul(
  store: Store,
  scope: ModelScope,
  range: TimeRange,
  o: {
    capHours?: number;
    folds?: number;
    everySeconds?: number;
    trees?: number;
    features?: FeatureRun;
    /** Receives every out-of-sample served RUL (µs, equipment, point and 10-90 % bounds, hours). */
    onTestScore?: (ts: number, equipment: string, rul: { hours: number; low: number; high: number }) => void;
  } = {},
): Promise<RulBacktest> {
  const cap = o.capHours ?? 168;
  const folds = o.folds ?? 3;
  const fs = scope.featureSet;
  const run = o.features ?? (await computeStoreFeatures(store, scope, range, o.everySeconds));
  const ev = evidenceOf(run, fs, range.to);
  const truth = remainingLife(ev.ts, ev.equipment, run.failures, range.to, cap);
  const pred: number[] = [];
  const actual: number[] = [];
  const base: number[] = [];
  const weib: number[] = [];
  const inside = INTERVAL_LEVELS.map(() => 0);
  // Per level, the KM coverage of each fold weighted by its test instants (known and censored).
  const kmCovered = INTERVAL_LEVELS.map(() => 0);
  let kmRows = 0;
  const censored = { rows: 0, modelTooLow: 0, baselineTooLow: 0 };
  let used = 0;
  for (const fold of walkForwardFolds(ev.ts, folds)) {
    const inFold = (i: number) => (ev.ts[i] as number) >= fold.cut && (ev.ts[i] as number) < fold.end;
    const test = rowsWhere(ev, (i) => inFold(i) && truth[i] === truth[i]);
    const censoredTest = rowsWhere(ev, (i) => inFold(i) && truth[i] !== truth[i]);
    if (test.length === 0) continue;
    let fit;
    try {
      fit = await fitRul(ev, fold.cut, { capHours: cap, trees: o.trees, seed: 29 + fold.k });
    } catch (err) {
      if (err instanceof NotEnoughHistory) continue;
      throw err;
    }
    used++;
    const raw = rulPredictions(fit, ev, test);
    const s = rulPoints(fit, raw);
    test.forEach((i, j) => {
      const t = truth[i] as number;
      const m = raw.model[j] as number;
      pred.push(s.model[j] as number);
      actual.push(t);
      base.push(s.meanLife[j] as number);
      weib.push(s.weibull[j] as number);
      INTERVAL_LEVELS.forEach((level, l) => {
        const iv = fit.intervals.find((x) => x.level === level);
        if (iv !== undefined && t >= m + iv.low && t <= m + iv.high) inside[l] = (inside[l] as number) + 1;
      });
    });
    if (o.onTestScore !== undefined) {
      // The served answer at every test instant, known truth or not (forecast history).
      const every = [...test, ...censoredTest];
      const all = rulPredictions(fit, ev, every).model;
      every.forEach((i, j) => {
        const served = rulInterval(all[j] as number, fit.intervals, cap);
        if (served !== null) o.onTestScore?.(ev.ts[i] as number, ev.equipment[i] as string, served);
      });
    }
    {
      const known = test.map((i, j) => ({
        value: (truth[i] as number) - (raw.model[j] as number),
        known: true,
      }));
      const cRaw = rulPredictions(fit, ev, censoredTest).model;
      const cens = censoredTest.map((i, j) => ({
        value: Math.min(cap, (range.to - (ev.ts[i] as number)) / 3.6e9) - (cRaw[j] as number),
        known: false,
      }));
      const residuals = [...known, ...cens];
      INTERVAL_LEVELS.forEach((level, l) => {
        const iv = fit.intervals.find((x) => x.level === level);
        const c = iv === undefined ? NaN : censoredCoverage(residuals, iv.low, iv.high, cap);
        if (c === c) kmCovered[l] = (kmCovered[l] as number) + c * residuals.length;
      });
      kmRows += residuals.length;
    }
    if (censoredTest.length > 0) {
      const c = rulPoints(fit, rulPredictions(fit, ev, censoredTest));
      censoredTest.forEach((i, j) => {
        const survived = (range.to - (ev.ts[i] as number)) / 3.6e9;
        censored.rows++;
        if ((c.model[j] as number) < survived) censored.modelTooLow++;
        if ((c.meanLife[j] as number) < survived) censored.baselineTooLow++;
      });
    }
  }
  const round = (v: number, d = 3) => Math.round(v * 10 ** d) / 10 ** d;
  const n = actual.length;
  // The Weibull cannot answer without an age: it and the model are compared on the rows it can.
  const keepW = weib.flatMap((w, j) => (w === w ? [j] : []));
  const onWeibullRows = (metric: (p: number[], t: number[]) => number, p: number[]) =>
    keepW.length
      ? metric(
          keepW.map((j) => p[j] as number),
          keepW.map((j) => actual[j] as number),
        )
      : NaN;
  const coverage = INTERVAL_LEVELS.map((level, l) => ({
    level,
    observed: round(kmRows ? (kmCovered[l] as number) / kmRows : NaN),
    known_only: round(n ? (inside[l] as number) / n : NaN),
  }));
  const figures = {
    cap_h: cap,
    folds,
    folds_used: used,
    test_rows: n,
    rmse_h: round(n ? rmse(pred, actual) : NaN),
    mae_h: round(n ? mae(pred, actual) : NaN),
    phm08: round(n ? phm08(pred, actual) : NaN, 1),
    interval_coverage: coverage.find((c) => c.level === 0.8)?.observed ?? NaN,
    coverage,
    censored: {
      rows: censored.rows,
      model_too_low: round(censored.rows ? censored.modelTooLow / censored.rows : NaN),
      baseline_too_low: round(censored.rows ? censored.baselineTooLow / censored.rows : NaN),
    },
    weibull_baseline: {
      rmse_h: round(onWeibullRows(rmse, weib)),
      mae_h: round(onWeibullRows(mae, weib)),
      rows: keepW.length,
      model_rmse_h: round(onWeibullRows(rmse, pred)),
    },
    baseline: {
      name: 'mean hours from maintenance to failure, minus hours since maintenance',
      rmse_h: round(n ? rmse(base, actual) : NaN),
      mae_h: round(n ? mae(base, actual) : NaN),
    },
  };
  return { ...figures, gate: rulGate(figures) };
}
