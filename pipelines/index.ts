/** Declared recipes joining features, models and the store. */
export {
  modelScopes,
  describeScope,
  pickScope,
  scopeFor,
  modelName,
  failureModelName,
  rulModelName,
  OWN_MODELS_FROM,
  POOLED,
} from './scopes.ts';
export type { ModelScope } from './scopes.ts';
export {
  loadReadings,
  loadEquipmentWindow,
  loadContext,
  telemetrySpan,
  storedHistory,
  historyWindow,
} from './data.ts';
export type { TimeRange } from './data.ts';
export { computeStoreFeatures, persistFeatures } from './features.ts';
export type { FeatureRun } from './features.ts';
export { summariseFeatures } from './summary.ts';
export type { FeatureSummary, FeatureCorrelation } from './summary.ts';
export { backtestFailure } from './backtest-failure.ts';
export type { FailureBacktest, FailureBacktestOptions } from './backtest-failure.ts';
export { backtestMarkdown, writeBacktestReport } from './report.ts';
export { trainAnomalyModel, trainFailureModel, trainRulModel } from './train.ts';
export { backtestAnomaly, anomalyCmapss } from './backtest-anomaly.ts';
export type { AnomalyBacktest, CmapssAnomaly } from './backtest-anomaly.ts';
export { failureGate, rulGate } from './gate.ts';
export type { Gate } from './gate.ts';
export { walkForwardFolds, failureTrainingSet, rulTrainingSet } from './harness.ts';
export type { Evidence, Fold, TrainingSet } from './harness.ts';
export type { TrainOptions } from './train.ts';
export { forecastAll, plantForecasts } from './forecast.ts';
export type { PlantForecast } from './forecast.ts';
export { reliabilityAnalysis } from './reliability.ts';
export type { ReliabilityAnalysis } from './reliability.ts';
export { backtestRul } from './backtest-rul.ts';
export type { RulBacktest } from './backtest-rul.ts';
export { ensureInitialModels, failureBacktestMetrics, rulBacktestMetrics } from './initial-models.ts';
export type { InitialModels } from './initial-models.ts';
export { retrainFailureHorizon, retrainModels } from './retrain.ts';
export type { RetrainOptions, RetrainResult, RetrainOutcome } from './retrain.ts';
export { checkFreshness, raiseEvents } from './freshness.ts';
export type { DataEvent, FreshnessOptions } from './freshness.ts';
export { equipmentHealth } from './equipment-health.ts';
export type { EquipmentHealth, SensorTrace } from './equipment-health.ts';
export { qualityDrift, backtestDrift } from './drift.ts';
export type { DriftForecastRow, DriftBacktest } from './drift.ts';
