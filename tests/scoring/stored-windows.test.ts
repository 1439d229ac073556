/**
 * Scoring the fleet reads every equipment's stored window in one bulk read (the export path)
 * instead of one query per equipment. The views must hold exactly what the per-equipment query
 * returns: same instants, same values (NULL as NaN), in time order, against the real QuestDB.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { float64Values, timestampMicros } from '../../features/index.ts';
import { Scorer, lookbackMicros } from '../../src/scoring/scorer.ts';
import { Writer, microsToIso, queryTable, sql, waitForWal } from '../../src/store/index.ts';
import type { Store } from '../../src/store/index.ts';
import { simPlant } from '../helpers/plant.ts';
import { openTestStore } from '../helpers/store.ts';

const HOUR = 3_600e6;
let store: Store;
const { plant, scope } = simPlant(6);
const AT = Date.UTC(2026, 0, 10) * 1000;

beforeAll(async () => {
  store = await openTestStore('stored_windows');
  const sensors = scope.featureSet.sensors;
  const writer = await Writer.open(store.config.questdb, store.config.ingest, {
    table: store.tables.telemetry,
    symbols: ['equipment'],
    doubles: [...sensors],
    readings: true,
  });
  const lookback = lookbackMicros(scope);
  const ids = plant.equipment.map((e) => e.id);
  // Every 20 s from before the window to after `AT`; each equipment with its own outage and
  // missing values; the last equipment silent in the window; one not in the plant file at all.
  let seed = 7;
  const u = () => (seed = (seed * 48271) % 2147483647) / 2147483647;
  for (let t = AT - lookback - 2 * HOUR; t <= AT + HOUR; t += 20e6)
    for (const [k, id] of [...ids, 'stranger-001'].entries()) {
      if (k === ids.length - 1 && t > AT - lookback - HOUR) continue;
      if (t > AT - (k + 2) * HOUR && t < AT - (k + 1) * HOUR) continue;
      await writer.append(
        t,
        [id],
        sensors.map((_, j) => (u() < 0.05 ? NaN : k * 100 + j + u())),
      );
    }
  await writer.close();
  await waitForWal(store.pool, store.tables, store.tables.telemetry);
});

afterAll(async () => {
  await store?.close();
});

describe('Scorer.storedWindows', () => {
  it('holds, per equipment, exactly the rows the per-equipment window query returns', async () => {
    const scorer = Reflect.construct(Scorer as unknown as new (...a: unknown[]) => Scorer, [
      store,
      scope,
      {},
      undefined,
    ]) as Scorer;
    const windows = await scorer.storedWindows(AT);
    const ids = plant.equipment.map((e) => e.id);
    // The silent one and the one outside the plant file have no view.
    expect([...windows.keys()].sort()).toEqual(ids.slice(0, -1).sort());
    const text = sql('readings_equipment_window', store.tables, { sensors: scope.featureSet.sensors });
    for (const id of ids.slice(0, -1)) {
      const t = await queryTable(store.pool, text, [
        id,
        microsToIso(AT - lookbackMicros(scope)),
        microsToIso(AT + 1),
      ]);
      const v = windows.get(id)!;
      expect(t.numRows).toBeGreaterThan(1000);
      expect(Array.from(v.ts), id).toEqual(Array.from(timestampMicros(t.getChild('ts')!)));
      expect(v.lastTs).toBe(v.ts[v.ts.length - 1]);
      scope.featureSet.sensors.forEach((s, j) =>
        expect(Array.from(v.values[j]!), `${id} ${s}`).toEqual(Array.from(float64Values(t.getChild(s)!))),
      );
    }
  });
});
