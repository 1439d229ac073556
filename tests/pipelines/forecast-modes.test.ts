/**
 * /v1/forecasts' per-mode probabilities come from the same instant as the forecast they stand
 * beside, even while a score run is committing its rows.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { plantForecasts } from '../../pipelines/forecast.ts';
import { waitForWal } from '../../src/store/index.ts';
import type { Store } from '../../src/store/index.ts';
import { Writer } from '../../src/store/writer.ts';
import { openTestStore } from '../helpers/store.ts';

const T1 = Date.UTC(2026, 10, 2, 8) * 1000;
const T2 = T1 + 600e6;

describe('forecasts by mode', () => {
  let store: Store;
  beforeAll(async () => {
    store = await openTestStore('forecast_modes');
  });
  afterAll(async () => store?.close());

  it("a score run whose mode rows are committed before its forecasts does not empty the earlier forecasts' by_mode", async () => {
    const writer = await Writer.open(store.config.questdb, store.config.ingest, {
      table: store.tables.forecasts,
      symbols: ['equipment', 'mode', 'model_version', 'health_driver'],
      doubles: ['probability', 'rul_h', 'rul_lo_h', 'rul_hi_h', 'health'],
      ints: ['horizon_h'],
    });
    const row = (ts: number, eq: string, mode: string, p: number) =>
      writer.append(ts, [eq, mode, `pooled.failure-${mode}-24h@v0001`, ''], [p, 30, 10, 60, NaN], [24]);
    for (const eq of ['eq-a', 'eq-b']) {
      // The run at T1, whole; the run at T2 as a reader sees it part-way: its mode rows only.
      await row(T1, eq, 'bearing', 0.3);
      await row(T1, eq, 'seal_wear', 0.1);
      await row(T1, eq, 'any', 0.35);
      await row(T2, eq, 'bearing', 0.6);
      await row(T2, eq, 'seal_wear', 0.2);
    }
    await writer.close();
    await waitForWal(store.pool, store.tables, store.tables.forecasts);
    const forecasts = await plantForecasts(store, 24, {});
    expect(forecasts.map((f) => [f.equipment, f.forecast_at, f.probability, f.by_mode])).toEqual(
      ['eq-a', 'eq-b'].map((eq) => [
        eq,
        '2026-11-02T08:00:00.000000Z',
        0.35,
        { bearing: 0.3, seal_wear: 0.1 },
      ]),
    );
  });
});
