/** The plant as data: the asset model read from a plant file, checked, applied and versioned. */
export { validatePlant, defaultFeatures, PlantFileError, STATS } from './schema.ts';
export type {
  Plant,
  ClassSpec,
  SensorSpec,
  FailureModeSpec,
  QualitySpec,
  FeatureSpec,
  EquipmentSpec,
  MqttSpec,
  OpcUaSpec,
  OpcUaServerSpec,
  OpcUaNodeSpec,
} from './schema.ts';
export { applyPlant, currentPlant, parsePlant, readPlantFile } from './apply.ts';
export type { AppliedPlant } from './apply.ts';
export { failureMode, readingCheck } from './check.ts';
export type { ReadingCheck } from './check.ts';
export { ALERT_CAUSES, ALERT_TIERS, DEFAULT_ALERT_POLICY, parseQuietHours } from './alerts.ts';
export type { AlertCause, AlertPolicy, AlertTier } from './alerts.ts';
