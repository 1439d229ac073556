/** Declared recipes joining features, models and the store. */
export { PLANT_FEATURES, FEATURE_SETS } from './feature-sets.ts';
export { loadReadings, loadContext, telemetrySpan } from './data.ts';
export type { TimeRange } from './data.ts';
export { computeStoreFeatures, persistFeatures } from './features.ts';
export type { FeatureRun } from './features.ts';
export { summariseFeatures } from './summary.ts';
export type { FeatureSummary, FeatureCorrelation } from './summary.ts';
export { backtestFailure } from './backtest-failure.ts';
export type { FailureBacktest, FailureBacktestOptions } from './backtest-failure.ts';
export { backtestMarkdown, writeBacktestReport } from './report.ts';
export { trainFailureModel, trainRulModel } from './train.ts';
export type { TrainOptions } from './train.ts';
export { forecastAll, plantForecasts } from './forecast.ts';
export type { PlantForecast } from './forecast.ts';
export { reliabilityAnalysis } from './reliability.ts';
export type { ReliabilityAnalysis } from './reliability.ts';
