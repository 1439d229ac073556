/**
 * Features: rolling-window kernels over Float64Array buffers, declared feature sets, labels.
 * Knows nothing of QuestDB or HTTP: Arrow tables and typed arrays in, Arrow tables and typed arrays out.
 */
export {
  defineFeatureSet,
  columnName,
  windowLabel,
  STATS,
  CONTEXT_FEATURES,
  FeatureSetError,
} from './feature-set.ts';
export type { FeatureSet, FeatureSetSpec, Stat, WindowSpec, ContextFeature } from './feature-set.ts';
export { computeFeatures, FeatureInputError } from './compute.ts';
export type { ComputeOptions } from './compute.ts';
export { rollingStats, windowStarts } from './rolling.ts';
export { statsAtLast, lastWindowStart } from './at-instant.ts';
export { featuresAtLast } from './online.ts';
export { ContextIndex, productCode } from './context.ts';
export type { ContextData, MaintenanceEvent, BatchSpan } from './context.ts';
export { failureWithin, remainingLife, qualityAtBatchEnd, timeToSpecLimit } from './labels.ts';
export type { FailureEvent, QualityMeasurement } from './labels.ts';
export { Float64Ranges, float64Values, timestampMicros, stringCodes, featureTable } from './arrow-io.ts';
