/**
 * The telemetry table's sensor columns, as created by sql/migrations/0001_telemetry.sql (in that
 * order). One list for the simulator, the default feature set and benchmarks.
 */
export const TELEMETRY_SENSORS = [
  'vibration_rms',
  'vibration_kurtosis',
  'bearing_temp',
  'motor_temp',
  'current',
  'pressure',
  'flow',
  'speed',
  'torque',
] as const;
