/**
 * The RUL model kind: remaining useful life capped at `capHours`, fitted on a harness training
 * side. A regression forest on the fitting rows (censored instants keep an expected target, see
 * rul-targets.ts), split-conformal intervals from its residuals on the later, purged calibration
 * slice (instants whose RUL was known by the cut), and the references it must beat: mean life and
 * a Weibull of the lives seen before the cut.
 */
import {
  compileForest,
  conformalIntervals,
  conformalPoint,
  fitWeibull,
  predictColumns,
  rulBaselineAt,
  trainForestParallel,
} from '../models/index.ts';
import type {
  CompiledForest,
  Forest,
  ForestOptions,
  ResidualInterval,
  RulBaseline,
} from '../models/index.ts';

export { INTERVAL_LEVELS } from '../models/index.ts';
import { pick, rulTrainingSet } from './harness.ts';
import type { Evidence } from './harness.ts';
import { livesFromAges } from './rul-targets.ts';
import { NotEnoughHistory } from './failure-kind.ts';

export const RUL_FOREST = {
  task: 'regression',
  maxDepth: 16,
  minSamplesLeaf: 5,
  maxFeatures: 'third',
} as const satisfies Partial<ForestOptions>;

export interface RulKindOptions {
  readonly capHours: number;
  readonly trees?: number;
  readonly seed?: number;
  readonly purgeHours?: number;
}

export interface RulFit {
  readonly set: ReturnType<typeof rulTrainingSet>;
  readonly forest: Forest;
  readonly compiled: CompiledForest;
  /** Per nominal level, residual bounds from the calibration slice (empty without one). */
  readonly intervals: readonly ResidualInterval[];
  readonly meanLife: Extract<RulBaseline, { kind: 'mean-life' }> | null;
  readonly weibull: Extract<RulBaseline, { kind: 'weibull' }> | null;
}

export async function fitRul(ev: Evidence, cut: number, o: RulKindOptions): Promise<RulFit> {
  const set = rulTrainingSet(ev, cut, o);
  if (set.rows.length < 50)
    throw new NotEnoughHistory(
      `RUL capped at ${o.capHours} h: ${set.rows.length} instants with a known or imputed RUL before the calibration slice (50 needed)`,
    );
  const forest = await trainForestParallel(pick(ev, set.rows), set.y, {
    ...RUL_FOREST,
    trees: o.trees ?? 100,
    seed: o.seed ?? 19,
  });
  const compiled = compileForest(forest);
  const calPred = predictColumns(compiled, pick(ev, set.calRows));
  // Residuals of the calibration rows: known, or censored at what the machine survived by the cut.
  const residualsOf = (pred: (j: number) => number) =>
    set.calRows.map((i, j) => {
      const t = set.calY[j] as number;
      return t === t
        ? { value: t - pred(j), known: true }
        : { value: Math.min(o.capHours, (cut - (ev.ts[i] as number)) / 3.6e9) - pred(j), known: false };
    });
  const intervals = conformalIntervals(
    residualsOf((j) => calPred[j] as number),
    o.capHours,
  );
  // References from the lives seen before the cut (ages are the hours_since_maintenance feature).
  const ageIndex = ev.names.indexOf('hours_since_maintenance');
  let meanLife: RulFit['meanLife'] = null;
  let weibull: RulFit['weibull'] = null;
  if (ageIndex >= 0) {
    const lives = livesFromAges(ev.ts, ev.equipment, ev.columns[ageIndex]!, ev.failures, cut);
    const failed = lives.hours.filter((_, j) => lives.failed[j] === 1);
    meanLife = {
      kind: 'mean-life',
      ageIndex,
      meanLifeHours: failed.length > 0 ? failed.reduce((s, v) => s + v, 0) / failed.length : o.capHours,
      capHours: o.capHours,
    };
    try {
      const w = fitWeibull(lives);
      weibull = { kind: 'weibull', ageIndex, shape: w.shape, scale: w.scale, capHours: o.capHours };
    } catch {
      weibull = null; // fewer than two failures before the cut
    }
  }
  // The references' own conformal intervals, from their residuals on the same calibration rows.
  const withIntervals = <B extends RulBaseline>(b: B | null): B | null => {
    if (b === null) return null;
    const row = new Float64Array(ev.columns.length);
    const pred = set.calRows.map((i) => {
      row[b.ageIndex] = ev.columns[b.ageIndex]![i] as number;
      return rulBaselineAt(b, row);
    });
    return {
      ...b,
      intervals: conformalIntervals(
        residualsOf((j) => pred[j] as number),
        o.capHours,
      ),
    };
  };
  return {
    set,
    forest,
    compiled,
    intervals,
    meanLife: withIntervals(meanLife),
    weibull: withIntervals(weibull),
  };
}

/**
 * Raw predictions of the model and of its references at the given rows (NaN where one cannot
 * answer); `conformalPoint` with each one's intervals gives the served point.
 */
export function rulPredictions(
  fit: RulFit,
  ev: Evidence,
  rows: readonly number[],
): { model: Float64Array; meanLife: Float64Array; weibull: Float64Array } {
  const model = predictColumns(fit.compiled, pick(ev, rows));
  const row = new Float64Array(ev.columns.length);
  const at = (b: RulBaseline | null) =>
    Float64Array.from(rows, (i) => {
      if (b === null) return NaN;
      row[b.ageIndex] = ev.columns[b.ageIndex]![i] as number;
      return rulBaselineAt(b, row);
    });
  return { model, meanLife: at(fit.meanLife), weibull: at(fit.weibull) };
}

/** The served points: each prediction plus its own median calibration residual. */
export function rulPoints(
  fit: RulFit,
  raw: { model: Float64Array; meanLife: Float64Array; weibull: Float64Array },
): { model: Float64Array; meanLife: Float64Array; weibull: Float64Array } {
  const shift = (a: Float64Array, iv: readonly ResidualInterval[] | undefined) =>
    a.map((v) => conformalPoint(v, iv ?? []));
  return {
    model: shift(raw.model, fit.intervals),
    meanLife: shift(raw.meanLife, fit.meanLife?.intervals),
    weibull: shift(raw.weibull, fit.weibull?.intervals),
  };
}
