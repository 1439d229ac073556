/**
 * Training recipes over stored history, registering what they train: "failure within H hours"
 * (classifier + isotonic calibration fitted on the latest quarter of labelled instants) and
 * remaining useful life (regression on capped RUL, censored instants given their expected capped
 * RUL under a Weibull of the history's lives: see rul-targets.ts).
 */
import { failureWithin } from '../features/index.ts';
import type { FeatureSet } from '../features/index.ts';
import { compileForest, fitIsotonic, predictColumns, trainForestParallel } from '../models/index.ts';
import type { ForestOptions, ModelMeta, ModelRegistry } from '../models/index.ts';
import type { Store } from '../src/store/index.ts';
import type { TimeRange } from './data.ts';
import { computeStoreFeatures, featureMatrix } from './features.ts';
import { rulTargets } from './rul-targets.ts';
import type { FeatureRun } from './features.ts';

export interface TrainOptions {
  readonly horizonHours?: number;
  readonly mode?: string;
  readonly rulCapHours?: number;
  readonly everySeconds?: number;
  readonly trees?: number;
  /** Features already computed over `range` (at everySeconds): saves recomputing them. */
  readonly features?: FeatureRun;
  /** Figures to record with the model, e.g. its backtest. */
  readonly metrics?: Readonly<Record<string, number>>;
}

const iso = (micros: number) => new Date(micros / 1000).toISOString();

/**
 * The forest recipes, one per model kind: training and the walk-forward backtests use the same,
 * so a backtest measures the model that is trained (only trees and seed vary).
 */
export const FAILURE_FOREST = {
  task: 'classification',
  maxDepth: 12,
  minSamplesLeaf: 5,
  maxFeatures: 'sqrt',
  classWeight: 'balanced',
} as const satisfies Partial<ForestOptions>;

export const RUL_FOREST = {
  task: 'regression',
  maxDepth: 16,
  minSamplesLeaf: 5,
  maxFeatures: 'third',
} as const satisfies Partial<ForestOptions>;

export async function trainFailureModel(
  store: Store,
  registry: ModelRegistry,
  fs: FeatureSet,
  range: TimeRange,
  o: TrainOptions = {},
): Promise<ModelMeta> {
  const H = (o.horizonHours ?? 24) * 3.6e9;
  const run = o.features ?? (await computeStoreFeatures(store, fs, range, o.everySeconds ?? 600));
  const { ts, equipment: eq, columns: X } = featureMatrix(run.features, fs);
  const y = failureWithin(ts, eq, run.failures, H, range.to, o.mode);
  const rows = Array.from({ length: ts.length }, (_, i) => i)
    .filter((i) => y[i] === y[i])
    .sort((a, b) => (ts[a] as number) - (ts[b] as number));
  const split = Math.floor(rows.length * 0.75);
  const pick = (r: number[]) => X.map((col) => Float64Array.from(r, (i) => col[i] as number));
  const yFit = Float64Array.from(rows.slice(0, split), (i) => y[i] as number);
  if (!yFit.some((v) => v === 1))
    throw new Error('no failure inside the horizon in the training history: simulate or ingest more');
  const forest = await trainForestParallel(pick(rows.slice(0, split)), yFit, {
    ...FAILURE_FOREST,
    trees: o.trees ?? 100,
    seed: 17,
  });
  const cal = rows.slice(split);
  const calibrator = fitIsotonic(
    predictColumns(compileForest(forest), pick(cal)),
    Float64Array.from(cal, (i) => y[i] as number),
  );
  const hours = o.horizonHours ?? 24;
  const name = `failure-${o.mode ?? 'any'}-${hours}h`;
  return registry.save(name, forest, {
    kind: 'failure-classifier',
    target: `failure within ${hours} h (${o.mode ?? 'any mode'})`,
    featureSet: fs.name,
    featureSetHash: fs.hash,
    featureNames: fs.columns,
    trainingWindow: { from: iso(range.from), to: iso(range.to) },
    rows: split,
    metrics: { positives: yFit.filter((v) => v === 1).length, calibration_rows: cal.length, ...o.metrics },
    calibration: { x: Array.from(calibrator.x), y: Array.from(calibrator.y) },
  });
}

export async function trainRulModel(
  store: Store,
  registry: ModelRegistry,
  fs: FeatureSet,
  range: TimeRange,
  o: TrainOptions = {},
): Promise<ModelMeta> {
  const cap = o.rulCapHours ?? 168;
  const run = o.features ?? (await computeStoreFeatures(store, fs, range, o.everySeconds ?? 600));
  const { ts, equipment: eq, columns: X } = featureMatrix(run.features, fs);
  // Censored instants (no failure seen yet, the cap not reached) keep an expected target.
  const age = fs.columns.indexOf('hours_since_maintenance');
  const targets = rulTargets(ts, eq, run.failures, range.to, cap, age < 0 ? undefined : X[age]);
  const rul = targets.target;
  const rows = Array.from({ length: ts.length }, (_, i) => i).filter((i) => rul[i] === rul[i]);
  if (rows.length === 0)
    throw new Error('no instant with a known RUL: the history needs failures or spans longer than the cap');
  const forest = await trainForestParallel(
    X.map((col) => Float64Array.from(rows, (i) => col[i] as number)),
    Float64Array.from(rows, (i) => rul[i] as number),
    { ...RUL_FOREST, trees: o.trees ?? 100, seed: 19 },
  );
  return registry.save(`rul-${cap}h`, forest, {
    kind: 'rul-forest',
    target: `RUL hours, capped at ${cap}`,
    featureSet: fs.name,
    featureSetHash: fs.hash,
    featureNames: fs.columns,
    trainingWindow: { from: iso(range.from), to: iso(range.to) },
    rows: rows.length,
    metrics: {
      censored_rows_imputed: targets.imputed,
      ...(targets.weibull
        ? { weibull_shape: targets.weibull.shape, weibull_scale_h: targets.weibull.scale }
        : {}),
      ...o.metrics,
    },
  });
}
