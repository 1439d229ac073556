/**
 * Models: the engine's own random-forest trainer (binned histograms), compiled forests for fast
 * inference, and forecast metrics. Knows nothing of features' windows or of the store.
 */
export {
  trainForest,
  trainForestParallel,
  prepareForest,
  trainPrepared,
  besideTraining,
  ForestError,
} from './forest.ts';
export type { Forest, ForestOptions, Rows, Task } from './forest.ts';
export { compileForest, predictRow, predictColumns, treePredictions } from './compiled.ts';
export type { CompiledForest } from './compiled.ts';
export { fitBins, fitBinsOfSubsets, applyBins, binOf } from './binning.ts';
export type { Binned } from './binning.ts';
export { buildTree } from './tree.ts';
export type { Tree, TreeParams, Criterion } from './tree.ts';
export { rmse, mae, phm08, rocAuc } from './metrics.ts';
export { toMlRandomForestJSON, predictVotes, nextUp } from './export-ml-random-forest.ts';
export { explainRow, topContributions } from './explain.ts';
export type { Explanation } from './explain.ts';
export { ModelRegistry } from './registry.ts';
export type { ModelMeta, LoadedModel, LoadedAnomaly, ChallengeRecord } from './registry.ts';
export { AnomalyScorer, fitAnomaly } from './anomaly.ts';
export type { AnomalyModel, AnomalyScore, AnomalyDriver } from './anomaly.ts';
export {
  fitIsotonic,
  calibrate,
  calibratorOf,
  calibratorJson,
  brier,
  prAuc,
  reliability,
  expectedCalibrationError,
} from './calibration.ts';
export { baselineName, failureBaselineAt, oneSensorScore, rulBaselineAt } from './baselines.ts';
export {
  censoredCoverage,
  conformalIntervals,
  conformalPoint,
  INTERVAL_LEVELS,
  rulInterval,
} from './conformal.ts';
export type { Residual, ResidualInterval } from './conformal.ts';
export { reconcile } from './reconcile.ts';
export type { RulQuantiles } from './reconcile.ts';
export type { FailureBaseline, RulBaseline, ResidualIntervals } from './baselines.ts';
export type { Calibrator, CalibratorJson } from './calibration.ts';
export { fitDrift, forecastDrift, poolExponent } from './drift.ts';
export type { DriftFit, DriftForecast, PooledShape } from './drift.ts';
export {
  fitWeibull,
  kaplanMeier,
  kaplanMeierWithCensors,
  availability,
  expectedCappedRul,
} from './reliability.ts';
export type { Lifetimes, WeibullFit, Availability, KmPoint } from './reliability.ts';
export { ContextZExpander, contextZOf, zName } from './context-z.ts';
export type { ContextZ } from './context-z.ts';
