/**
 * The telemetry table's sensor columns. Migration 0001 creates the simulator's nine (the plant it
 * was first built for; the simulator still writes them in this order); every other sensor is a
 * column a plant file adds when it is applied (src/plant/apply.ts). What the store holds now is
 * `telemetrySensors`, asked of QuestDB.
 */
import { query } from './pg.ts';
import { sql } from './sql.ts';
import type { Store } from './store.ts';

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

/** The telemetry table's key columns: every other DOUBLE column is a sensor. */
const KEYS = new Set(['ts', 'equipment', 'sensor_set']);

/** The sensor columns the telemetry table has now, in table order. */
export async function telemetrySensors(store: Pick<Store, 'pool' | 'tables'>): Promise<string[]> {
  const { rows } = await query<{ name: string; type: string }>(
    store.pool,
    sql('telemetry_columns', store.tables),
  );
  return rows.filter((r) => !KEYS.has(r.name) && r.type.toUpperCase() === 'DOUBLE').map((r) => r.name);
}
