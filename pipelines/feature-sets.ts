/** Declared feature sets: data, not code. Training and scoring name one and get the same columns. */
import { defineFeatureSet } from '../features/index.ts';
import type { FeatureSet } from '../features/index.ts';
import { TELEMETRY_SENSORS } from '../src/store/telemetry.ts';

/** The default set for the plant: every telemetry sensor, 10 min / 1 h / 24 h, trend and shape. */
export const PLANT_FEATURES: FeatureSet = defineFeatureSet({
  name: 'plant-v1',
  sensors: [...TELEMETRY_SENSORS],
  windows: [
    { kind: 'time', seconds: 600 },
    { kind: 'time', seconds: 3600 },
    { kind: 'time', seconds: 86400 },
  ],
  stats: ['mean', 'std', 'max', 'last', 'slope', 'ewma', 'missing'],
  context: ['hours_since_maintenance', 'running_hours_since_repair', 'batch_load', 'product_code'],
  loadNormalised: false,
});

export const FEATURE_SETS: Readonly<Record<string, FeatureSet>> = { [PLANT_FEATURES.name]: PLANT_FEATURES };
